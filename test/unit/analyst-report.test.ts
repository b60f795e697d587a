import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../functions/config/schema.ts';
import { readSql, renderSql } from '../../functions/dialect/sqlText.ts';
import { kpiCatalog, type KpiDefinition } from '../../functions/kpis/catalog.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { KpiReport, KpiResult, SourceQuality } from '../../functions/kpis/types.ts';
import { renderAnalyst } from '../../functions/report/analyst/index.ts';
import { analystModel, type KpiQueries, type LakeInventory } from '../../functions/report/analyst/model.ts';
import { traceText } from '../../functions/report/analyst/display.ts';
import { kpiQueriesSql } from '../../functions/report/analyst/files.ts';
import { reproducingQuery, valueDerivation } from '../../functions/report/analyst/queries.ts';
import type { ReportMessage } from '../../functions/report/message.ts';
import { sourceParams, sqlParams } from '../../functions/stages/lake.ts';
import { catalogKpi } from '../support/kpis.ts';

/** The analyst report, pure: a hand-built kpis.json and inputs in, a message out. */
const hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>';
const period = parsePeriod('2026-10');

function kpiOf(d: KpiDefinition, value: number | null): KpiResult {
  return catalogKpi(d, { value });
}

function source(name: string, overrides: Partial<SourceQuality> = {}): SourceQuality {
  return {
    source: name,
    entity: 'tickets',
    rowsRead: 10,
    rowsAccepted: 9,
    rowsRejected: 1,
    rejectedByReason: { bad_timestamp: 1 },
    lastExtractAt: '2026-11-01T06:00:00.000Z',
    freshestRecordAt: '2026-10-31T22:00:00.000Z',
    ...overrides,
  };
}

function reportOf(
  sources: SourceQuality[],
  kpis: Record<string, KpiResult> = Object.fromEntries(kpiCatalog.map((d) => [d.id, kpiOf(d, 0.5)])),
): KpiReport {
  return {
    period,
    generatedAt: '2026-11-01T06:00:00.000Z',
    timezone: 'UTC',
    currency: 'USD',
    kpis,
    forecast: null,
    dataQuality: {
      sources,
      excludedFromTimeMetrics: { total: 2, byReason: { reply_before_created: 1, [hostile]: 1 } },
      duplicatesMerged: 3,
    },
  };
}

const inventory: LakeInventory = {
  months: ['2026-10'],
  tables: [
    {
      table: 'tickets',
      layer: 'curated',
      rows: 1200,
      rowsInPeriod: 100,
      months: { first: '2025-10', last: '2026-10', count: 13 },
      freshestColumn: 'updated_at',
      freshest: '2026-10-31T22:00:00.000Z',
    },
    {
      table: 'agents',
      layer: 'curated',
      rows: 12,
      rowsInPeriod: null,
      months: null,
      freshestColumn: null,
      freshest: null,
    },
    {
      table: 'kpi_monthly',
      layer: 'mart',
      rows: 5000,
      rowsInPeriod: 380,
      months: { first: '2025-10', last: '2026-10', count: 13 },
      freshestColumn: 'month',
      freshest: '2026-10',
    },
  ],
};

/** One query per KPI, each `bytes` long, as if every KPI had a file of its own. */
function queriesOf(bytes: number): KpiQueries {
  return {
    queries: kpiCatalog.map((d) => {
      const head = `-- ${d.id}\nselect '${d.id}' as kpi, '' as dimension, '' as member, 1 as numerator, 2 as denominator\n`;
      return {
        file: `kpis/${d.id}.sql`,
        kind: 'ratio',
        sql: head + `-- ${'x'.repeat(70)}\n`.repeat(Math.ceil((bytes - head.length) / 74)),
        kpis: [d.id],
      };
    }),
  };
}

const fileText = (message: ReportMessage, name: string) =>
  message.files.find((f) => f.filename === name)!.content.toString('utf8');
const csvRows = (message: ReportMessage, name: string): string[][] => parse(fileText(message, name), { bom: true });

describe('analyst report', () => {
  it('is a message with an HTML and a plain-text part, the three files attached and no charts', async () => {
    const message = await renderAnalyst(
      reportOf([source('helpdesk')]),
      { inventory, queries: queriesOf(500) },
      { name: 'analyst' },
    );
    expect(message.subject).toBe('Pulse data notes — October 2026');
    expect(message.images).toEqual([]);
    expect(message.files.map((f) => f.filename)).toEqual(['kpi-queries.sql', 'lake-inventory.csv', 'data-quality.csv']);
    for (const part of [message.html, message.text]) {
      expect(part).toContain('kpi_monthly');
      expect(part).toContain('10 read · 9 accepted · 1 rejected');
      expect(part).toContain('first_reply_time');
    }
    expect(message.text).toContain('2025-10 – 2026-10 (13 months) · 2026-10-31 22:00 UTC (updated_at)');
    // No SQL in the body: it would not wrap on a phone; it is in kpi-queries.sql.
    expect(message.html).not.toContain('<pre');
    expect(message.html).not.toContain('as dimension');
  });

  it('escapes hostile source names, entities, reasons, labels and file names', async () => {
    const kpis = Object.fromEntries(kpiCatalog.map((d) => [d.id, { ...kpiOf(d, 1), label: `${d.label} ${hostile}` }]));
    const queries = queriesOf(200);
    queries.queries[0]!.file = `kpis/${hostile}.sql`;
    const report = reportOf([source(hostile, { entity: hostile, rejectedByReason: { [hostile]: 1 } })], kpis);
    const message = await renderAnalyst(report, { inventory, queries }, { name: 'analyst' });
    expect(message.html).not.toContain('<script>');
    expect(message.html).not.toContain('<img src=x');
    expect(message.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    // The source, its entity, its reason, the excluded reason, the labels and the file name.
    expect(message.html.split('&lt;script&gt;').length - 1).toBeGreaterThanOrEqual(5 + kpiCatalog.length);
  });

  it('neutralises every CSV cell that starts with =, +, -, @, tab or CR', async () => {
    const names = ['=HYPERLINK("http://x","y")', '+1+1', '-2+3', '@SUM(A1)', '\tcmd', '\rcmd'];
    const report = reportOf(names.map((n) => source(n, { rejectedByReason: { [n]: 1 } })));
    const message = await renderAnalyst(
      report,
      { inventory: { ...inventory, tables: [{ ...inventory.tables[0]!, table: '=cmd|calc' }] }, queries: null },
      { name: 'analyst' },
    );
    for (const file of ['data-quality.csv', 'lake-inventory.csv']) {
      for (const cell of csvRows(message, file).flat())
        expect(cell, `${file}: ${JSON.stringify(cell)}`).not.toMatch(/^[=+\-@\t\r]/);
    }
    const sources = csvRows(message, 'data-quality.csv').map((row) => row[1]);
    for (const name of names) expect(sources).toContain(`'${name}`);
    expect(csvRows(message, 'lake-inventory.csv')[1]![1]).toBe("'=cmd|calc");
  });

  it('keeps the HTML under 102 KB with 49 KPIs of 5 KB of SQL each and 500 sources', async () => {
    const sources = Array.from({ length: 500 }, (_, i) =>
      source(`s${i} ${hostile} ${'source-name-'.repeat(20)}`, {
        rowsRejected: i,
        rejectedByReason: Object.fromEntries(Array.from({ length: 12 }, (_, r) => [`${hostile}-${r}`, r + 1])),
      }),
    );
    const kpis = Object.fromEntries(
      kpiCatalog.map((d) => [d.id, { ...kpiOf(d, 12345.678), label: `${d.label} ${'long label '.repeat(30)}` }]),
    );
    const message = await renderAnalyst(
      reportOf(sources, kpis),
      { inventory, queries: queriesOf(5 * 1024) },
      { name: 'analyst' },
    );
    expect(kpiCatalog).toHaveLength(49);
    expect(Buffer.byteLength(message.html)).toBeLessThan(102 * 1024);
    // The body shows the 25 sources with the most rejected rows; the files hold everything.
    expect(message.html).toContain('The 25 of 500 sources with the most rejected rows');
    expect(message.html).toContain('<b>s499 &lt;script&gt;');
    expect(message.html).toContain('<b>s475 &lt;script&gt;');
    expect(message.html).not.toContain('<b>s474 &lt;script&gt;');
    expect(
      new Set(
        csvRows(message, 'data-quality.csv')
          .slice(1)
          .map((row) => row[1]),
      ).size,
    ).toBe(500 + 1); // + the rows of no source
    expect(fileText(message, 'kpi-queries.sql').length).toBeGreaterThan(49 * 5 * 1024);
  });

  it('kpi-queries.sql holds every KPI id, each with its definition and the query that returns its rows', async () => {
    const message = await renderAnalyst(
      reportOf([source('helpdesk')]),
      { inventory, queries: queriesOf(300) },
      { name: 'analyst' },
    );
    const sql = fileText(message, 'kpi-queries.sql');
    for (const d of kpiCatalog) {
      expect(sql).toContain(`-- ${d.id} — ${d.label}\n`);
      expect(sql).toContain(`-- definition: ${d.description}\n`);
      if (!['brand_terms', 'competitor_gap', 'csat_change'].includes(d.id))
        expect(sql).toContain(`where kpi = '${d.id}'\norder by dimension, member;`);
    }
  });

  it("the reproducing query of a KPI is the exact SQL evaluate ran for the period, wrapped to that KPI's rows", () => {
    const config = configSchema.parse({
      lake: './lake',
      sources: [{ name: 's', type: 'csv', entity: 'tickets', path: 'x.csv' }],
    });
    const params = { ...sqlParams(config, period), ...sourceParams(config) };
    const durations = renderSql(readSql('kpis/durations.sql'), params);
    const status = renderSql(readSql('kpis/ticket_status.sql'), params);
    const queries: KpiQueries = {
      queries: [
        { file: 'kpis/durations.sql', kind: 'duration', sql: durations, kpis: ['first_reply_time'] },
        {
          file: 'kpis/ticket_status.sql',
          kind: 'ratio',
          sql: status,
          kpis: ['csat', 'csat_solved_tickets', 'excluded_from_time_metrics'],
        },
      ],
    };
    // The marts the text reads are their whole-lake rows (slice ''), as the catalog holds every slice's.
    const wholeLake =
      "with tickets_created as (select * from tickets_created where slice = ''),\n" +
      "tickets_solved as (select * from tickets_solved where slice = '')";
    expect(reproducingQuery(queries.queries[0]!, 'first_reply_time')).toBe(
      `${wholeLake}\nselect kpi, dimension, member, p50, p90, mean, n\nfrom (\n${durations}\n) as measured\nwhere kpi = 'first_reply_time'\norder by dimension, member`,
    );
    expect(reproducingQuery(queries.queries[1]!, 'csat')).toBe(
      `${wholeLake}\nselect kpi, dimension, member, numerator, denominator\nfrom (\n${status}\n) as measured\nwhere kpi = 'csat'\norder by dimension, member`,
    );
    const model = analystModel(reportOf([]), { inventory, queries }, {});
    const entry = (id: string) => model.kpis.find((k) => k.id === id)!;
    expect(entry('first_reply_time').trace).toEqual({
      kind: 'query',
      file: 'kpis/durations.sql',
      sql: reproducingQuery(queries.queries[0]!, 'first_reply_time'),
      hasRows: true,
      readFrom: null,
    });
    expect(entry('first_reply_time').derivation).toBe(
      "value = p50 of the row with dimension = '', in seconds (p90, mean and n beside it)",
    );
    expect(entry('csat').derivation).toBe(
      "value = numerator ÷ denominator of the row with dimension = '' (none when the denominator is 0); response rate = denominator ÷ the numerator of csat_solved_tickets",
    );
    // A duration with nothing to measure has no row: its query is found by the text that names it.
    expect(entry('full_resolution_time').trace).toMatchObject({
      kind: 'query',
      file: 'kpis/durations.sql',
      hasRows: false,
    });
    expect(model.supporting.map((s) => s.id)).toEqual(['csat_solved_tickets', 'excluded_from_time_metrics']);
  });

  it('says when the rows were read back from kpi_monthly, where the marts stage stored them, rather than run', () => {
    const config = configSchema.parse({
      lake: './lake',
      sources: [{ name: 's', type: 'csv', entity: 'tickets', path: 'x.csv' }],
    });
    const sql = renderSql(readSql('kpis/durations.sql'), { ...sqlParams(config, period), ...sourceParams(config) });
    const stored: KpiQueries = {
      queries: [
        { file: 'kpis/durations.sql', kind: 'duration', sql, kpis: ['first_reply_time'], readFrom: 'kpi_monthly' },
      ],
    };
    const model = analystModel(reportOf([]), { inventory, queries: stored }, {});
    const entry = model.kpis.find((k) => k.id === 'first_reply_time')!;
    expect(entry.trace).toMatchObject({ kind: 'query', readFrom: 'kpi_monthly', hasRows: true });
    expect(traceText(entry)).toBe('kpis/durations.sql (rows read from kpi_monthly)');
    expect(traceText(model.kpis.find((k) => k.id === 'full_resolution_time')!)).toBe(
      'kpis/durations.sql (rows read from kpi_monthly; no row this period)',
    );
  });

  it('says that a quarter summed the rows the marts stage stored for each of its months', () => {
    const config = configSchema.parse({
      lake: './lake',
      sources: [{ name: 's', type: 'csv', entity: 'tickets', path: 'x.csv' }],
    });
    const quarter = parsePeriod('2026-Q3');
    const sql = renderSql(readSql('kpis/ticket_rates.sql'), { ...sqlParams(config, quarter), ...sourceParams(config) });
    const stored: KpiQueries = {
      queries: [
        { file: 'kpis/ticket_rates.sql', kind: 'ratio', sql, kpis: ['tickets_created'], readFrom: 'kpi_monthly' },
      ],
    };
    const model = analystModel({ ...reportOf([]), period: quarter }, { inventory, queries: stored }, {});
    expect(kpiQueriesSql(model).content.toString()).toContain(
      '-- query: kpis/ticket_rates.sql, as the marts stage ran it for each month of 2026-Q3 (evaluate summed its rows from kpi_monthly)',
    );
  });

  it('one line per KPI says how its value follows from the columns', () => {
    expect(valueDerivation(kpiCatalog.find((d) => d.id === 'tickets_created')!)).toBe(
      "value = numerator of the row with dimension = '' (a total: its denominator is null)",
    );
    const model = analystModel(reportOf([]), { inventory, queries: queriesOf(100) }, {});
    for (const k of model.kpis) expect(k.derivation, k.id).toMatch(/^value = /);
  });

  it('lists the KPIs computed in TypeScript with what they are computed from', () => {
    const model = analystModel(reportOf([]), { inventory, queries: queriesOf(100) }, {});
    const computed = model.kpis.filter((k) => k.trace.kind === 'computed').map((k) => k.id);
    expect(computed.sort()).toEqual(['brand_terms', 'competitor_gap', 'csat_change']);
    expect(model.kpis.find((k) => k.id === 'brand_terms')!.trace).toEqual({
      kind: 'computed',
      from: expect.stringContaining('functions/kpis/brandTerms.ts'),
      inputsSql: "select comment from surveys where month in ('2026-10') and comment is not null and comment <> ''",
    });
  });

  it("narrows the index and the SQL file to the audience's KPIs", async () => {
    const message = await renderAnalyst(
      reportOf([source('helpdesk')]),
      { inventory, queries: queriesOf(100) },
      { name: 'analyst', kpis: ['csat', 'first_reply_time'] },
    );
    const sql = fileText(message, 'kpi-queries.sql');
    expect(sql).toContain("where kpi = 'csat'");
    expect(sql).toContain("where kpi = 'first_reply_time'");
    expect(sql).not.toContain("where kpi = 'tickets_created'");
    expect(message.html).not.toContain('tickets_created');
  });

  it('says the queries were not recorded rather than guessing, and shows KPIs not measured with the reason', async () => {
    const kpis = Object.fromEntries(kpiCatalog.map((d) => [d.id, kpiOf(d, 1)]));
    kpis.handle_time = {
      id: 'handle_time',
      label: 'Handle time',
      family: 'speed',
      unit: 'seconds',
      direction: 'lower',
      description: '',
      value: null,
      status: 'not_measured',
      notMeasured: 'needs contacts: no source provides it',
    };
    const message = await renderAnalyst(
      reportOf([source('helpdesk')], kpis),
      { inventory, queries: null },
      { name: 'analyst' },
    );
    expect(message.html).toContain('No queries were recorded for 2026-10');
    expect(message.html).toContain('not measured: needs contacts: no source provides it');
    const sql = fileText(message, 'kpi-queries.sql');
    expect(sql).toContain('-- no query recorded: reports/2026-10/queries.json does not name this KPI');
    expect(sql).not.toContain('select kpi, dimension');
  });

  it('a label or id from kpis.json cannot end a comment or a string in kpi-queries.sql', async () => {
    const kpis = Object.fromEntries(kpiCatalog.map((d) => [d.id, kpiOf(d, 1)]));
    kpis.csat = { ...kpis.csat!, label: 'CSAT\ndrop table tickets; --', description: 'share\r\nselect 1;' };
    const queries = queriesOf(100);
    const weird = "x' or '1' = '1";
    queries.queries.push({ file: 'kpis/x.sql', kind: 'ratio', sql: 'select 1', kpis: [weird] });
    kpis[weird] = { ...kpiOf(kpiCatalog[0]!, 1), id: weird };
    const sql = fileText(
      await renderAnalyst(reportOf([], kpis), { inventory, queries }, { name: 'analyst' }),
      'kpi-queries.sql',
    );
    expect(sql.split('\n').filter((line) => /^(drop|select 1;)/.test(line))).toEqual([]);
    expect(sql).toContain("where kpi = 'x'' or ''1'' = ''1'");
  });
});
