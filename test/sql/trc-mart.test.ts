import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { TrinoSQL } from 'dt-sql-parser';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { sqlFiles } from '../../functions/dialect/sqlFiles.generated.ts';
import { readSql } from '../../functions/dialect/sqlText.ts';
import { loadConfig } from '../../functions/config/load.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { KpiReport, MeasuredKpi } from '../../functions/kpis/types.ts';
import type { Row } from '../../functions/ports/queryEngine.ts';
import { renderFinance } from '../../functions/report/finance/index.ts';
import type { FinanceAmounts, FinanceInputs, FinanceMember } from '../../functions/report/finance/model.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { evaluate } from '../../functions/stages/evaluate.ts';
import { financeInputs, financeRowsSql, segmentRevenueSql } from '../../functions/stages/financeInputs.ts';
import { buildFixtureLake, measured } from '../support/lake.ts';

/**
 * The trc mart on the golden catalog (test/fixtures/golden-catalog/, UTC, October 2026): its
 * marginals are the KPI breakdowns of kpis.json, to the cent, and one cell is worked by hand.
 */
const fixture = path.resolve(import.meta.dirname, '../fixtures/golden-catalog/pulse.config.json');
const lake = path.resolve(import.meta.dirname, '../../.tmp/trc-mart-lake');

let ctx: StageContext;
let report: KpiReport;
let october: Row[];
let inputs: FinanceInputs;

const kpi = (id: string): MeasuredKpi => measured(report, id);

/** Σ amount by one column, in cents (the unit finance reconciles in). */
function marginal(rows: Row[], column: string): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const row of rows) sums[String(row[column])] = (sums[String(row[column])] ?? 0) + Number(row.amount);
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, Math.round(v * 100)]));
}

const inCents = (breakdown: Record<string, number | null>) => Object.fromEntries(Object.entries(breakdown).map(([k, v]) => [k, Math.round((v ?? 0) * 100)]));

beforeAll(async () => {
  // The slices a finance audience may have are measured into kpi_monthly by the marts stage.
  const slices = [{ team: 'alpha' }, { channel: 'phone' }];
  ({ ctx, report } = await buildFixtureLake(fixture, '2026-10', {
    lake,
    configure: (config) => {
      config.audiences = [
        ...config.audiences,
        ...slices.map((slice, i) => ({ name: `sliced-${i}`, report: 'finance' as const, recipients: ['cfo@example.com'], slice })),
      ];
    },
  }));
  october = await ctx.engine.query("select * from trc where month = '2026-10'");
  inputs = await financeInputs(ctx);
});

afterAll(async () => {
  await ctx.engine.close();
  rmSync(lake, { recursive: true, force: true });
});

describe('trc mart, October 2026', () => {
  it('is partitioned by month like every mart', () => {
    expect(readdirSync(path.join(lake, 'marts/trc')).sort()).toEqual(['month=2026-09', 'month=2026-10']);
  });

  it('sums to total_cost_of_response to the cent', () => {
    expect(Object.values(marginal(october, 'month'))).toEqual([Math.round(kpi('total_cost_of_response').value! * 100)]);
    expect(kpi('total_cost_of_response').value).toBe(2500);
  });

  it.each(['category', 'channel', 'team', 'component'])('Σ by %s is the KPI breakdown', (dimension) => {
    expect(marginal(october, dimension)).toEqual(inCents(kpi('total_cost_of_response').breakdowns[dimension]!));
  });

  it('Σ by segment is cost_to_serve_by_segment', () => {
    expect(marginal(october, 'segment')).toEqual(inCents(kpi('cost_to_serve_by_segment').breakdowns.segment!));
    expect(Math.round(kpi('cost_to_serve_by_segment').value! * 100)).toBe(250_000);
  });

  it('holds one cell of the four-way table as worked by hand', () => {
    // labor × chat × alpha × smb, direct labour. Alpha's direct labour in October: a1 on 1 and
    // 2 Oct, 16 h × 50 = 800 (30 Sep is September's), a2 6 h × 40 = 240 → 1,040. Handle seconds
    // of October's tickets: K1 email/enterprise 600, K2 chat/smb 1,200, K3 phone/smb 1,200, K4
    // email/unknown 0 → H = 3,000; chat × smb is K2 alone: 1,200 ÷ 3,000 = 0.4 → 1,040 × 0.4 = 416.
    const cell = october.filter((r) => r.category === 'labor' && r.channel === 'chat' && r.team === 'alpha' && r.segment === 'smb');
    expect(cell.map((r) => [r.component, r.amount])).toEqual([['direct_labour', 416]]);
    // tooling × shared × shared × enterprise, a ledger row: 300 split by segment, enterprise
    // 600 ÷ 3,000 → 60.
    const ledger = october.filter((r) => r.category === 'tooling' && r.segment === 'enterprise');
    expect(ledger.map((r) => [r.channel, r.team, r.component, r.amount])).toEqual([['shared', 'shared', 'ledger', 60]]);
  });

  it('keeps the cost of a month without tickets, unallocated', async () => {
    // September: a1 8 h × 50 on 30 Sep = 400 of direct labour, a 999 tooling row, no tickets.
    const september = await ctx.engine.query("select category, channel, team, segment, component, amount from trc where month = '2026-09' order by amount");
    expect(september).toEqual([
      { category: 'labor', channel: 'unallocated', team: 'alpha', segment: 'unallocated', component: 'direct_labour', amount: 400 },
      { category: 'tooling', channel: 'shared', team: 'shared', segment: 'unallocated', component: 'ledger', amount: 999 },
    ]);
  });
});

describe('one allocation: the trc mart and cost.sql read the same intermediate models', () => {
  const models = ['int_direct_labour', 'int_cost_ledger', 'int_handle_load'];
  const readers = ['marts/trc.sql', 'kpis/cost.sql'];

  it.each(readers)('%s reads direct labour, the ledger and the handle load through ref()', (file) => {
    for (const model of models) expect(sqlFiles[file]).toContain(`{{ ref('${model}') }}`);
  });

  it.each(readers)('%s reads none of their inputs itself (a second copy of the rule would)', (file) => {
    // The inputs the intermediate models turn into the allocation's terms; cost.sql still reads
    // customers for revenue, tickets_solved and contacts for its denominators.
    const direct = /\b(?:from|join)\s+(agent_time|agents|costs|tickets_created|int_tickets)\b/gi;
    expect([...sqlFiles[file]!.matchAll(direct)].map((m) => m[1])).toEqual([]);
    expect(sqlFiles[file]).not.toMatch(/loaded_hourly_cost|coalesce\(channel, 'shared'\)/);
  });

  it('inlines each model as written in sql/intermediate/, in both readers', () => {
    for (const file of readers) {
      for (const model of models) {
        const body = sqlFiles[`intermediate/${model}.sql`]!.split('\n').filter((l) => l && !l.startsWith('--'));
        expect(readSql(file)).toContain(`(\n${body.join('\n')}\n)`);
      }
      expect(readSql(file)).not.toContain('ref(');
    }
  });
});

describe('finance inputs and workbook on the golden lake', () => {
  it('reads the period, the previous period and last year from the mart', () => {
    expect(inputs.windows.previous.months).toEqual(['2026-09']);
    expect(inputs.windows.lastYear.months).toEqual(['2025-10']);
    expect(inputs.total).toEqual({ current: 2500, previous: 1399, lastYear: null });
    expect(inputs.history.months).toHaveLength(13);
    expect(inputs.history.months.at(-1)).toBe('2026-10');
    // Revenue read back from kpi_monthly: margin + cost to serve (smb 180 = −1,820 + 2,000).
    expect(Object.fromEntries((inputs.segmentRevenue as FinanceMember[]).map((m) => [m.member, Math.round(m.current! * 100) / 100]))).toEqual({ enterprise: 170, smb: 180, mid_market: 40, unknown: 0 });
  });

  it("computes a slice's mart from the slice's own records", async () => {
    // Team alpha: a1 16 h × 50 + a2 6 h × 40 = 1,040 direct labour, plus alpha's 500 labor row.
    const alpha = await financeInputs(ctx, { team: 'alpha' });
    expect((alpha.total as FinanceAmounts).current).toBeCloseTo(1540, 9);
    expect((alpha.total as FinanceAmounts).current).toBeCloseTo(kpi('total_cost_of_response').breakdowns.team!.alpha!, 9);
    expect(alpha.breakdowns.team.map((m) => m.member)).toEqual(['alpha']);
    // Its customers are those its tickets served: c1 (enterprise: pro 100 to 10-15, then basic 70) and c2 (smb: basic 50).
    expect(Object.fromEntries((alpha.segmentRevenue as FinanceMember[]).map((m) => [m.member, m.current]))).toEqual({ enterprise: 170, smb: 50 });
    // Phone: agent time has no channel, so only the ledger's phone row (telephony 200) is the slice's.
    const phone = await financeInputs(ctx, { channel: 'phone' });
    // Direct labour, so the total, is not measured in a channel slice, as the sliced kpis.json says.
    expect((phone.components.ledger as FinanceAmounts).current).toBeCloseTo(200, 9);
    expect(phone.components.directLabour).toEqual({ notMeasured: expect.stringMatching(/^not measured in this slice: .*agent_time/) });
    expect(phone.total).toEqual(phone.components.directLabour);
    await financeInputs(ctx);
  });

  it('renders a workbook that opens with the expected sheets and the TRC total of kpis.json to the cent', async () => {
    const message = await renderFinance(report, inputs, { name: 'finance' });
    expect(message.html).not.toContain('do not match kpis.json');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(message.files.find((f) => f.filename === 'trc-2026-10.xlsx')!.content as unknown as ArrayBuffer);
    expect(book.worksheets.map((s) => s.name)).toEqual(['Summary', 'By category', 'By channel', 'By team', 'By segment', 'Category × channel × team', '13-month history']);
    const cents = Math.round(kpi('total_cost_of_response').value! * 100);
    expect(Math.round(Number(book.getWorksheet('Summary')!.getCell('B3').value) * 100)).toBe(cents);
    for (const name of ['By category', 'By channel', 'By team', 'Category × channel × team']) {
      const sheet = book.getWorksheet(name)!;
      const column = name.startsWith('Category ×') ? 4 : 2;
      // The rows' visible cents add up to the total row, which is kpis.json's total.
      let sum = 0;
      sheet.eachRow((row, i) => {
        if (i > 2 && i < sheet.rowCount) sum += Math.round(Number(row.getCell(column).value ?? 0) * 100);
      });
      const total = Math.round(Number(sheet.getRow(sheet.rowCount).getCell(column).value) * 100);
      expect([name, sum, total]).toEqual([name, cents, cents]);
    }
  });

  it('sums a range month by month: totals, categories and teams as kpis.json, channels allocated in their own month', async () => {
    // August–October: September's 400 of labour and 999 of tooling join October's 2,500 → 3,899.
    const range = await createLocalContext({ ...(await loadConfig(fixture)), config: { ...ctx.config } }, parsePeriod('2026-08..2026-10'), { quiet: true });
    const rangeReport = await evaluate(range);
    const rangeInputs = await financeInputs(range);
    await range.engine.close();
    const trc = rangeReport.kpis.total_cost_of_response as MeasuredKpi;
    expect((rangeInputs.total as FinanceAmounts).current).toBe(3899);
    expect(trc.value).toBe(3899);
    const byMember = (members: FinanceInputs['breakdowns']['team']) => inCents(Object.fromEntries(members.map((m) => [m.member, m.current])));
    expect(byMember(rangeInputs.breakdowns.category)).toEqual(inCents(trc.breakdowns.category!));
    expect(byMember(rangeInputs.breakdowns.team)).toEqual(inCents(trc.breakdowns.team!));
    // The KPI splits the range's 1,740 of labour by the range's handle seconds (email 600 of
    // 3,000 → 348); the mart keeps September's 400 in September, which had no tickets
    // (unallocated), and splits October's 1,340 by October's (email 268).
    expect(trc.breakdowns.channel!.email).toBe(348);
    expect(byMember(rangeInputs.breakdowns.channel)).toMatchObject({ email: 26_800, unallocated: 40_000 });
    const message = await renderFinance(rangeReport, rangeInputs, { name: 'finance' });
    expect(message.html).not.toContain('do not match kpis.json');
  });

  it('reads the mart with SQL that Trino parses too', () => {
    const trino = new TrinoSQL();
    const sql = financeRowsSql(parsePeriod('2026-Q3'));
    for (const text of [sql.windowed, sql.history, segmentRevenueSql(parsePeriod('2026-10'))]) {
      expect(trino.validate(text).map((e) => e.message)).toEqual([]);
    }
  });
});
