import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { KpiReport, MeasuredKpi } from '../../functions/kpis/types.ts';
import { neutraliseCell } from '../../functions/report/cells.ts';
import { csvTable } from '../../functions/report/csvTable.ts';
import { renderFinance } from '../../functions/report/finance/index.ts';
import { financeFormat } from '../../functions/report/finance/format.ts';
import { financeModel, type FinanceInputs, type FinanceMember } from '../../functions/report/finance/model.ts';
import type { ReportMessage } from '../../functions/report/message.ts';
import { centsAddingUp } from '../../functions/report/finance/workbook.ts';
import { currencyFormat } from '../../functions/report/workbook.ts';

/**
 * The finance report on a hand-built kpis.json and trc mart: hostile labels (markup, formulas,
 * 10,000 characters) and 5,000 teams, so the size and escaping checks can fail for real.
 */
const longName = `Team ${'x'.repeat(10_000)}`;
const hostile = [
  '<script>alert("x")</script>',
  '=HYPERLINK("http://evil.example","click")',
  '+1',
  '-2+3',
  '@SUM(A1)',
  '\tTAB-led',
  '\rCR-led',
  longName,
];
const formulaStart = /^[=+\-@\t\r]/;

function measured(
  id: string,
  label: string,
  value: number,
  previous: number,
  lastYear: number,
  breakdowns: MeasuredKpi['breakdowns'] = {},
): MeasuredKpi {
  return {
    id,
    label,
    family: 'cost',
    unit: 'currency',
    direction: 'lower',
    description: '',
    value,
    status: 'none',
    target: null,
    warning: null,
    critical: null,
    previous,
    change: value - previous,
    changeRatio: (value - previous) / Math.abs(previous),
    lastYear,
    changeLastYear: value - lastYear,
    stats: {},
    breakdowns,
    drivers: [],
    explanation: null,
    history: [],
  };
}

const member = (
  name: string,
  current: number | null,
  previous: number | null,
  lastYear: number | null,
): FinanceMember => ({ member: name, current, previous, lastYear });

// 5,000 ordinary teams of 10 each, the hostile ones of 100, and a credit of −250 (a refund from a
// vendor): this period 50,000 + 800 − 250 = 50,550; previous 40,000; last year 30,000.
const teams: FinanceMember[] = [
  ...Array.from({ length: 5000 }, (_, i) => member(`team-${String(i).padStart(4, '0')}`, 10, 8, 6)),
  ...hostile.map((name) => member(name, 100, null, null)),
  member('credits', -250, 0, 0),
];
const total = { current: 50_550, previous: 40_000, lastYear: 30_000 };

const inputs: FinanceInputs = {
  windows: {
    current: { id: '2026-10', label: 'October 2026', months: ['2026-10'] },
    previous: { id: '2026-09', label: 'September 2026', months: ['2026-09'] },
    lastYear: { id: '2025-10', label: 'October 2025', months: ['2025-10'] },
  },
  slice: null,
  total,
  components: {
    directLabour: { current: 40_000, previous: 32_000, lastYear: 24_000 },
    ledger: { current: 10_550, previous: 8_000, lastYear: 6_000 },
  },
  breakdowns: {
    category: [
      member('labor', 45_000, 36_000, 27_000),
      member('telephony', 5_800, 4_000, 3_000),
      member('tooling', -250, 0, 0),
      ...hostile.slice(0, 2).map((h) => member(h, 0, null, null)),
    ],
    channel: [
      member('email', 20_000, 16_000, 12_000),
      member('chat', 30_550, 24_000, 18_000),
      ...hostile.map((h) => member(h, 0, null, null)),
    ],
    team: teams,
    segment: [
      member('enterprise', 30_000, 25_000, 20_000),
      member('smb', 20_550, 15_000, 10_000),
      ...hostile.map((h) => member(h, 0, null, null)),
    ],
  },
  segmentRevenue: [
    member('enterprise', 40_000, 38_000, 30_000),
    member('smb', 10_000, 9_000, 8_000),
    member('<script>alert("x")</script>', 5, null, null),
  ],
  detail: teams.map((t) => ({
    category: t.member === 'credits' ? 'tooling' : 'labor',
    channel: t.member.startsWith('team-') ? 'email' : hostile[1]!,
    team: t.member,
    current: t.current,
    previous: t.previous,
    lastYear: t.lastYear,
  })),
  history: {
    firstMonth: '2025-10',
    months: [
      '2025-10',
      '2025-11',
      '2025-12',
      '2026-01',
      '2026-02',
      '2026-03',
      '2026-04',
      '2026-05',
      '2026-06',
      '2026-07',
      '2026-08',
      '2026-09',
      '2026-10',
    ],
    points: [
      { month: '2025-10', category: 'labor', amount: 27_000 },
      { month: '2025-10', category: 'telephony', amount: 3_000 },
      { month: '2026-09', category: 'labor', amount: 36_000 },
      { month: '2026-09', category: 'telephony', amount: 4_000 },
      { month: '2026-10', category: 'labor', amount: 45_000 },
      { month: '2026-10', category: 'telephony', amount: 5_800 },
      { month: '2026-10', category: 'tooling', amount: -250 },
      { month: '2026-10', category: hostile[0]!, amount: 0 },
    ],
  },
};

const report: KpiReport = {
  period: parsePeriod('2026-10'),
  generatedAt: '2026-11-01T06:00:00Z',
  timezone: 'Europe/Berlin',
  currency: 'USD',
  kpis: {
    total_cost_of_response: measured(
      'total_cost_of_response',
      'Total cost of response',
      total.current,
      total.previous,
      total.lastYear,
      {
        category: Object.fromEntries(inputs.breakdowns.category.map((m) => [m.member, m.current])),
        team: Object.fromEntries(teams.map((m) => [m.member, m.current])),
      },
    ),
    cost_per_ticket: measured('cost_per_ticket', 'Cost per ticket', 12.5, 11, 10),
    cost_per_resolution: measured('cost_per_resolution', 'Cost per resolution', 14.25, 13, 12),
    cost_per_contact_minute: measured('cost_per_contact_minute', 'Cost per contact minute', 0.85, 0.8, 0.75),
    cost_to_serve_by_segment: measured(
      'cost_to_serve_by_segment',
      'Cost to serve',
      total.current,
      total.previous,
      total.lastYear,
    ),
    // Revenue 50,005 − cost to serve 50,550 (the hostile segments cost 0).
    service_margin_by_segment: measured('service_margin_by_segment', 'Service margin', -545, 7_000, 8_000),
  },
  forecast: null,
  dataQuality: { sources: [], excludedFromTimeMetrics: { total: 0, byReason: {} }, duplicatesMerged: 0 },
};

/** The same inputs with a handful of teams, for the checks that need no size. */
const small: FinanceInputs = {
  ...inputs,
  breakdowns: { ...inputs.breakdowns, team: teams.slice(-9) },
  detail: inputs.detail.slice(-9),
};
const smallReport: KpiReport = {
  ...report,
  kpis: {
    ...report.kpis,
    total_cost_of_response: {
      ...(report.kpis.total_cost_of_response as MeasuredKpi),
      breakdowns: { team: Object.fromEntries(teams.slice(-9).map((m) => [m.member, m.current])) },
    },
  },
};

let message: ReportMessage;
let workbook: ExcelJS.Workbook;

const xlsx = (m: ReportMessage) => m.files.find((f) => f.filename.endsWith('.xlsx'))!;
const csv = (m: ReportMessage, slug: string): string[][] =>
  parse(m.files.find((f) => f.filename === `trc-2026-10-${slug}.csv`)!.content, {
    bom: true,
    relax_column_count: false,
  });

/** Every cell of every sheet, as [sheet, address, cell]. */
function cells(book: ExcelJS.Workbook): [string, string, ExcelJS.Cell][] {
  const all: [string, string, ExcelJS.Cell][] = [];
  book.eachSheet((sheet) => sheet.eachRow((row) => row.eachCell((cell) => all.push([sheet.name, cell.address, cell]))));
  return all;
}

beforeAll(async () => {
  message = await renderFinance(report, inputs, { name: 'finance' });
  workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(xlsx(message).content as unknown as ArrayBuffer);
});

describe('neutraliseCell, the one cell function', () => {
  it.each([
    ['=HYPERLINK("x")', `'=HYPERLINK("x")`],
    ['+1', "'+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['\rx', "'\rx"],
    ['plain', 'plain'],
    ['a=b', 'a=b'],
    ['', ''],
  ])('%j → %j', (value, expected) => {
    expect(neutraliseCell(value)).toBe(expected);
  });

  it('keeps numbers numbers, negative ones included, and has no value for NaN or Infinity', () => {
    expect(neutraliseCell(-250)).toBe(-250);
    expect(neutraliseCell(0)).toBe(0);
    expect(neutraliseCell(Number.NaN)).toBeNull();
    expect(neutraliseCell(Number.POSITIVE_INFINITY)).toBeNull();
    expect(neutraliseCell(null)).toBeNull();
    expect(neutraliseCell(true)).toBe(true);
  });

  it('writes the config currency as the number format', () => {
    expect(currencyFormat('USD')).toBe('"$"#,##0.00');
    expect(currencyFormat('EUR')).toBe('"€"#,##0.00');
    expect(currencyFormat('CHF')).toBe('#,##0.00 "CHF"');
    expect(currencyFormat('JPY')).toBe('"¥"#,##0');
  });

  it('the CSV writer neutralises the same way and leaves numbers alone', () => {
    const rows = parse(
      csvTable({
        name: 'T',
        slug: 't',
        columns: [
          { header: 'a', format: 'text' },
          { header: 'b', format: 'currency' },
        ],
        rows: [
          ['=1+1', -2.5],
          ['-2+3', 1234.567],
        ],
      }),
      { bom: true },
    );
    expect(rows).toEqual([
      ['a', 'b'],
      ["'=1+1", '-2.5'],
      ["'-2+3", '1234.57'],
    ]);
  });
});

describe('finance e-mail', () => {
  it('names the period in the subject', () => {
    expect(message.subject).toBe('Total cost of response — October 2026');
  });

  it('escapes every hostile label and prints no markup from the data', () => {
    expect(message.html).not.toContain('<script>');
    expect(message.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(message.html).not.toContain('x'.repeat(100)); // labels are cut
  });

  it('stays under 102 KB with 5,000 teams: top rows, the rest in the workbook', () => {
    expect(Buffer.byteLength(message.html)).toBeLessThan(102 * 1024);
    // 5,009 teams: the 8 hostile ones (100 each), then team-0000 and team-0001 (10 each, by name).
    expect(message.html).toContain('team-0001');
    expect(message.html).not.toContain('team-0002');
    expect(message.html).toContain('…and 4,999 more teams in the workbook');
  });

  it('has the headline from kpis.json, with month-over-month and year-over-year change', () => {
    expect(message.html).toContain('$50,550');
    expect(message.html).toContain('+$10,550');
    expect(message.html).toContain('(+26.4%)');
    expect(message.html).toContain('+$20,550');
    expect(message.html).toContain('Cost per contact minute');
    expect(message.html).toContain('$0.85');
    expect(message.text).toContain('Total cost of response: $50,550');
    expect(message.text).toContain('Cost per resolution');
  });

  it('shows cost to serve and service margin by segment', () => {
    expect(message.html).toContain('Cost to serve by segment');
    expect(message.html).toContain('Service margin by segment');
    expect(message.html).toContain('−$545'); // the total margin, from kpis.json
    expect(message.html).not.toContain('do not match kpis.json');
  });

  it('inlines the 13-month chart as a PNG by CID, with alt text and a text equivalent', () => {
    expect(message.images).toHaveLength(1);
    const chart = message.images[0]!;
    expect(chart.png.subarray(1, 4).toString()).toBe('PNG');
    expect(message.html).toContain(`src="cid:${chart.cid}"`);
    expect(chart.alt).toMatch(/^Total cost of response by category per month, stacked bars, Oct 2025 to Oct 2026/);
    expect(message.html).toMatch(/alt="Total cost of response by category per month[^"]*"/);
    expect(message.html).toContain(
      'alt="Total cost of response by category per month, stacked bars, Oct 2025 to Oct 2026: Labour, Telephony, &lt;script&gt;',
    );
    expect(chart.text.split('\n')).toHaveLength(13);
    expect(chart.text).toContain('Oct 2026');
    expect(message.text).toContain(chart.text);
  });

  it('says where the breakdown and kpis.json disagree', async () => {
    const off = await renderFinance(
      smallReport,
      { ...small, total: { ...total, current: total.current + 0.01 } },
      { name: 'finance' },
    );
    expect(off.html).toContain('do not match kpis.json');
    expect(off.text).toContain(
      'Total cost of response, October 2026: $50,550.00 in kpis.json, $50,550.01 in the trc mart',
    );
    const team = await renderFinance(
      smallReport,
      { ...small, breakdowns: { ...small.breakdowns, team: [...teams.slice(-9), member('team-0000', 10.02, 8, 6)] } },
      { name: 'finance' },
    );
    expect(team.text).toContain('team team-0000, October 2026: $0.00 in kpis.json, $10.02 in the trc mart');
  });

  it('leaves revenue out of a team slice', async () => {
    const sliced = await renderFinance(
      smallReport,
      { ...small, slice: { team: 'alpha' }, segmentRevenue: null },
      { name: 'finance-alpha' },
    );
    expect(sliced.subject).toBe('Total cost of response — October 2026 (team alpha)');
    expect(sliced.html).not.toContain('Service margin by segment');
    expect(sliced.html).toContain('revenue belongs to customers');
    expect(sliced.html).not.toContain('do not match kpis.json');
  });
});

describe('finance workbook', () => {
  it('attaches the workbook and the same tables as CSV', () => {
    expect(message.files.map((f) => f.filename)).toEqual([
      'trc-2026-10.xlsx',
      'trc-2026-10-summary.csv',
      'trc-2026-10-category.csv',
      'trc-2026-10-channel.csv',
      'trc-2026-10-team.csv',
      'trc-2026-10-segment.csv',
      'trc-2026-10-category-channel-team.csv',
      'trc-2026-10-history.csv',
    ]);
  });

  it('reads back with a summary sheet and one sheet per breakdown, each titled with the period and time zone', () => {
    expect(workbook.worksheets.map((s) => s.name)).toEqual([
      'Summary',
      'By category',
      'By channel',
      'By team',
      'By segment',
      'Category × channel × team',
      '13-month history',
    ]);
    for (const sheet of workbook.worksheets) {
      expect(sheet.getCell('A1').value).toBe('Total cost of response — October 2026 (Europe/Berlin)');
      expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 2 });
    }
  });

  it('holds the TRC total of kpis.json in the summary, to the cent, in the currency format', () => {
    const summary = workbook.getWorksheet('Summary')!;
    expect(summary.getCell('A2').value).toBe('Measure');
    expect(summary.getCell('B2').value).toBe('October 2026');
    expect(summary.getCell('A3').value).toBe('Total cost of response');
    expect(summary.getCell('B3').value).toBe(50_550);
    expect(summary.getCell('B3').numFmt).toBe('"$"#,##0.00');
    expect(summary.getCell('F3').numFmt).toBe('0.0%');
  });

  it('keeps every team and every label whole, hostile strings neutralised, no formulas', () => {
    const team = workbook.getWorksheet('By team')!;
    expect(team.rowCount).toBe(2 + teams.length + 1); // title, header, the teams, the total
    const values = cells(workbook);
    expect(values.filter(([, , c]) => c.formula !== undefined || c.type === ExcelJS.ValueType.Formula)).toEqual([]);
    const strings = values.map(([, , c]) => c.value).filter((v): v is string => typeof v === 'string');
    expect(strings.filter((s) => formulaStart.test(s))).toEqual([]);
    // XML reads a carriage return back as a line feed; the quote in front is what matters.
    for (const h of hostile.filter((h) => formulaStart.test(h)))
      expect(strings).toContain(`'${h}`.replace(/\r/g, '\n'));
    expect(strings).toContain(longName); // the whole value, not cut
  });

  it('keeps a credit a negative number in the currency format', () => {
    const team = workbook.getWorksheet('By team')!;
    const credit = team.getColumn(1).values.findIndex((v) => v === 'credits');
    const amount = team.getCell(credit, 2);
    expect(amount.value).toBe(-250);
    expect(amount.type).toBe(ExcelJS.ValueType.Number);
    expect(amount.numFmt).toBe('"$"#,##0.00');
  });

  it('sizes columns to their content', () => {
    const team = workbook.getWorksheet('By team')!;
    expect(team.getColumn(1).width).toBe(60); // the 10,000-character name, capped
    expect(team.getColumn(2).width).toBeGreaterThanOrEqual(12);
    expect(team.getColumn(2).width).toBeLessThan(30);
  });

  it('the CSV files hold the same rows, neutralised the same way', () => {
    const rows = csv(message, 'team');
    expect(rows[0]![0]).toBe('Team');
    expect(rows).toHaveLength(1 + teams.length + 1); // header, the teams, the total
    const firsts = rows.slice(1).map((r) => r[0]!);
    expect(firsts.filter((s) => formulaStart.test(s))).toEqual([]);
    expect(firsts).toContain(`'=HYPERLINK("http://evil.example","click")`);
    expect(rows.find((r) => r[0] === 'credits')![1]).toBe('-250');
    expect(csv(message, 'summary')[1]).toEqual(expect.arrayContaining(['Total cost of response', '50550']));
  });

  it('ends every breakdown sheet with a total row, its CSV too', () => {
    for (const sheet of workbook.worksheets.slice(1)) {
      const last = sheet.getRow(sheet.rowCount);
      expect([sheet.name, last.getCell(1).value]).toEqual([sheet.name, 'Total']);
      expect(last.getCell(1).font?.bold).toBe(true);
    }
    // By team: 5,000 × 10 + 8 hostile × 100 − 250 of credits = 50,550; previous 5,000 × 8 + 0 = 40,000.
    const team = workbook.getWorksheet('By team')!;
    expect(team.getRow(team.rowCount).values).toEqual(
      expect.arrayContaining(['Total', 50_550, 40_000, 30_000, 10_550]),
    );
    expect(csv(message, 'team').at(-1)!.slice(0, 5)).toEqual(['Total', '50550', '40000', '30000', '10550']);
  });

  it('names the summary sources in words', () => {
    const sources = workbook.getWorksheet('Summary')!.getColumn(9).values.slice(3);
    expect(sources).toContain("Hours worked × each agent's loaded hourly cost");
    expect(sources.join(' ')).not.toMatch(/kpis\.json|trc mart/);
  });

  it('writes months as dates formatted "mmm yyyy"', () => {
    const month = workbook.getWorksheet('13-month history')!.getCell('A3');
    expect(month.value).toEqual(new Date(Date.UTC(2025, 9, 1)));
    expect(month.numFmt).toBe('mmm yyyy');
    expect(csv(message, 'history')[1]![0]).toBe('2025-10');
  });
});

describe('cents that add up', () => {
  it('gives the rounding residue to the largest remainders', () => {
    // 1.005 + 2.005 + 3.005 = 6.015 → 6.02. Each rounded alone: 1.01 + 2.01 + 3.01 = 6.03.
    // Down to the cent: 1.00 + 2.00 + 3.00 = 6.00, 2 cents short; all three lost half a cent,
    // so the first two get one each: 1.01 + 2.01 + 3.00 = 6.02.
    expect(centsAddingUp([1.005, 2.005, 3.005])).toEqual({ cells: [1.01, 2.01, 3], total: 6.02 });
    // 0.994 + 0.003 + 0.003 = 1.000 → 1.00; down: 0.99 + 0 + 0, 1 cent short, to 0.994 (lost 0.4 of a cent).
    expect(centsAddingUp([0.003, 0.994, null, 0.003])).toEqual({ cells: [0, 1, null, 0], total: 1 });
    expect(centsAddingUp([null])).toEqual({ cells: [null], total: null });
  });

  it('makes the visible cents of a breakdown sheet add up to its total, in the workbook and the CSV', async () => {
    // Three thirds of 100: 33.333… each; to the cent 33.34 + 33.33 + 33.33 = 100.00 (not 99.99).
    const third = 100 / 3;
    const thirds = await renderFinance(
      smallReport,
      {
        ...small,
        breakdowns: { ...small.breakdowns, channel: ['chat', 'email', 'phone'].map((c) => member(c, third, 0, 0)) },
      },
      { name: 'finance' },
    );
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx(thirds).content as unknown as ArrayBuffer);
    const sheet = book.getWorksheet('By channel')!;
    const column = [3, 4, 5, 6].map((r) => sheet.getCell(r, 2).value);
    expect(column).toEqual([33.34, 33.33, 33.33, 100]);
    expect(csv(thirds, 'channel').map((r) => r[1])).toEqual(['October 2026', '33.34', '33.33', '33.33', '100']);
  });
});

describe('finance report with a cost ledger and no agent time', () => {
  // No agents or agent_time source: direct labour, so the total, is not measured; no subscriptions:
  // revenue, so margin, is not measured. The ledger holds 3,735 in October, from September on
  // (telephony 3,000 + tooling 735); one ledger row was rejected as bad_number, one as bad_timestamp.
  const labourWhy = 'needs agents, agent_time: no source provides them';
  const notMeasured = (id: string, label: string, why: string) =>
    ({ ...measured(id, label, 0, 0, 0), value: null, status: 'not_measured', notMeasured: why }) as const;
  const ledgerOnly: FinanceInputs = {
    ...small,
    total: { notMeasured: labourWhy },
    components: {
      directLabour: { notMeasured: labourWhy },
      ledger: { current: 3_735, previous: 1_000, lastYear: null },
    },
    breakdowns: {
      category: [member('telephony', 3_000, 1_000, null), member('tooling', 735, null, null)],
      channel: [member('shared', 3_735, 1_000, null)],
      team: [member('shared', 3_735, 1_000, null)],
      segment: [member('smb', 3_735, 1_000, null)],
    },
    segmentRevenue: { notMeasured: 'needs subscriptions: no source provides it' },
    detail: [],
    history: {
      ...inputs.history,
      firstMonth: '2026-09',
      points: [
        { month: '2026-09', category: 'telephony', amount: 1_000 },
        { month: '2026-10', category: 'telephony', amount: 3_000 },
        { month: '2026-10', category: 'tooling', amount: 735 },
      ],
    },
  };
  const ledgerReport: KpiReport = {
    ...report,
    kpis: {
      total_cost_of_response: notMeasured('total_cost_of_response', 'Total cost of response', labourWhy),
      cost_per_ticket: notMeasured('cost_per_ticket', 'Cost per ticket', labourWhy),
      service_margin_by_segment: notMeasured(
        'service_margin_by_segment',
        'Service margin',
        'needs agents, agent_time, subscriptions: no source provides them',
      ),
    },
    dataQuality: {
      ...report.dataQuality,
      sources: [
        {
          source: 'ledger',
          entity: 'costs',
          rowsRead: 4,
          rowsAccepted: 2,
          rowsRejected: 2,
          rejectedByReason: { bad_number: 1, bad_timestamp: 1 },
          lastExtractAt: null,
          freshestRecordAt: null,
        },
      ],
    },
  };
  let ledger: ReportMessage;
  beforeAll(async () => {
    ledger = await renderFinance(ledgerReport, ledgerOnly, { name: 'finance' });
  });

  it('says direct labour is not measured, and why, instead of printing 0', () => {
    for (const part of [ledger.text, ledger.html]) {
      expect(part).toContain(`Direct labour not measured (${labourWhy}) · cost ledger $3,735`);
      expect(part).toContain(`hold the cost ledger only: direct labour is not measured (${labourWhy})`);
      expect(part).not.toMatch(/Direct labour \$0/);
    }
  });

  it('says service margin is not measured instead of revenue $0 − cost', () => {
    for (const part of [ledger.text, ledger.html]) {
      expect(part).toContain(
        'Service margin is not measured: needs agents, agent_time, subscriptions: no source provides them',
      );
      expect(part).not.toContain('−$3,735');
    }
  });

  it('prints "–" for a month before the first cost record, not $0', () => {
    const lines = ledger.text.split('\n');
    expect(lines.find((l) => l.startsWith('Aug 2026 '))).toMatch(/^Aug 2026 +–$/);
    expect(lines.find((l) => l.startsWith('Sep 2026 '))).toMatch(/^Sep 2026 +\$1,000/);
    expect(ledger.text).not.toMatch(/^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug) 2026 +\$0/m);
  });

  it('says not measured and "–" in the workbook and the CSVs, never 0', async () => {
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx(ledger).content as unknown as ArrayBuffer);
    const summary = book.getWorksheet('Summary')!;
    const labour = summary.getRow(summary.getColumn(1).values.indexOf('Direct labour')).values as unknown[];
    expect(labour.slice(2)).toEqual([...Array(7).fill('not measured'), `Not measured: ${labourWhy}`]);
    const history = csv(ledger, 'history');
    // 2025-10 … 2026-08 before the first record: "–"; September 1,000; October 3,735.
    expect(history.slice(1, 12).map((r) => r.at(-1))).toEqual(Array(11).fill('–'));
    expect(history.slice(12, 14).map((r) => r.at(-1))).toEqual(['1000', '3735']);
    expect(history.at(-1)).toEqual(['Total, cost ledger only', '4000', '735', '4735']);
    expect(csv(ledger, 'category').at(-1)![0]).toBe('Total, cost ledger only');
  });

  it('names the rejected cost rows with their reasons and counts', () => {
    const sentence =
      '2 cost rows were rejected and are not in these numbers (ledger: bad_number × 1, bad_timestamp × 1)';
    expect(ledger.text).toContain(sentence);
    expect(ledger.html).toContain(sentence);
  });
});

describe('finance report in words and in the locale (issue 21: formatting and labels)', () => {
  it('names categories in words, months by name, and never prints a signed zero', async () => {
    const message = await renderFinance(report, inputs, { name: 'finance' });
    expect(message.text).toMatch(/^Labour +\$/m);
    expect(message.text).not.toMatch(/^labor /m);
    expect(message.text).toMatch(/^Oct 2026 /m);
    expect(message.text).not.toMatch(/^2026-10 /m);
    expect(message.text + message.html).not.toMatch(/[−+-]\$0(?![\d.,])|[−+-]0\.0%|±/);
  });

  it('a change that rounds to zero at the printed precision is unsigned, with no percent', () => {
    // The total is over 1,000, so whole dollars: a $0.30 change prints "$0", not "+$0 (+0.0%)".
    const fmt = financeFormat(financeModel(report, inputs, { name: 'finance' }));
    expect(fmt.change(0.3)).toBe('$0');
    expect(fmt.changePercent(0.3, 0.0001)).toBe('');
    expect(fmt.change(-0.4)).toBe('$0');
    expect(fmt.change(-2)).toBe('−$2');
    expect(fmt.changePercent(-2, -0.05)).toBe('−5.0%');
  });

  it('prints money in the config locale: de-DE for EUR unless the config says otherwise', async () => {
    const euro = { ...report, currency: 'EUR' };
    const german = await renderFinance(euro, inputs, { name: 'finance' });
    expect(german.text).toContain('Total cost of response: 50.550\u00a0€');
    const english = await renderFinance(euro, inputs, { name: 'finance', locale: 'en-GB' });
    expect(english.text).toContain('Total cost of response: €50,550');
  });
});
