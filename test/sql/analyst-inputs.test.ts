import { rmSync } from 'node:fs';
import path from 'node:path';
import { TrinoSQL } from 'dt-sql-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { loadConfig } from '../../functions/config/load.ts';
import { readSql, renderSql } from '../../functions/dialect/sqlText.ts';
import { kpiById } from '../../functions/kpis/catalog.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { KpiReport } from '../../functions/kpis/types.ts';
import { getJson, putJson } from '../../functions/ports/objectStore.ts';
import type { Row } from '../../functions/ports/queryEngine.ts';
import { renderAnalyst } from '../../functions/report/analyst/index.ts';
import type { AnalystInputs, KpiQueries, TableInventory } from '../../functions/report/analyst/model.ts';
import { reproducingQuery } from '../../functions/report/analyst/queries.ts';
import { analystInputs } from '../../functions/stages/analystInputs.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { reportKey } from '../../functions/stages/evaluate.ts';
import { kpiQueries, registerLake, sourceParams, sqlParams } from '../../functions/stages/lake.ts';
import { measureQueries } from '../../functions/kpis/measure.ts';
import { buildFixtureLake } from '../support/lake.ts';

/**
 * The analyst report's inputs on the golden catalog (test/fixtures/golden-catalog/, UTC, period
 * 2026-10), on real DuckDB: the lake inventory against counts worked out from the CSVs by hand,
 * and each KPI's reproducing query against the value evaluate wrote to kpis.json.
 */
const fixture = path.resolve(import.meta.dirname, '../fixtures/golden-catalog/pulse.config.json');
const lake = path.resolve(import.meta.dirname, '../../.tmp/analyst-inputs-lake');
const queriesKey = 'reports/2026-10/queries.json';

let ctx: StageContext;
let report: KpiReport;
let inputs: AnalystInputs;
let queriesFromEvaluate: boolean;

/**
 * queries.json as evaluate writes it: each KPI query of the period as it ran, and the KPIs its rows
 * held. October is a whole month the marts hold: evaluate reads its rows back from kpi_monthly.
 */
async function queriesAsEvaluateWrites(context: StageContext): Promise<KpiQueries> {
  const params = { ...sqlParams(context.config, context.period), ...sourceParams(context.config) };
  const queries: KpiQueries['queries'] = [];
  for (const { file, kind } of measureQueries) {
    const sql = renderSql(readSql(file), params);
    const rows = await context.engine.query(sql);
    queries.push({ file, kind, sql, kpis: [...new Set(rows.map((r) => String(r.kpi)))], readFrom: 'kpi_monthly' });
  }
  return { queries };
}

beforeAll(async () => {
  // A sliced audience beside the fixture's: the marts hold its rows too, which the analyst's queries leave out.
  ({ ctx } = await buildFixtureLake(fixture, '2026-10', {
    lake,
    now: new Date('2026-11-01T06:00:00Z'),
    configure: (config) => {
      config.audiences = [
        ...config.audiences,
        { name: 'alpha-lead', report: 'executive', recipients: ['alpha@example.com'], slice: { team: 'alpha' } },
      ];
    },
  }));
  report = (await getJson<KpiReport>(ctx.store, reportKey('2026-10')))!;
  queriesFromEvaluate = (await ctx.store.get(queriesKey)) !== undefined;
  if (!queriesFromEvaluate) await putJson(ctx.store, queriesKey, await queriesAsEvaluateWrites(ctx));
  inputs = await analystInputs(ctx);
});

afterAll(async () => {
  await ctx.engine.close();
  rmSync(lake, { recursive: true, force: true });
});

const table = (name: string): TableInventory => {
  const found = inputs.inventory.tables.find((t) => t.table === name);
  if (!found) throw new Error(`${name} is not in the inventory`);
  return found;
};

/** The headline value from a KPI's rows, as functions/kpis/measure.ts derives it. */
function headline(id: string, rows: Row[]): number | null {
  const row = rows.find((r) => r.dimension === '');
  if (!row) return null;
  if (kpiById(id)?.unit === 'seconds') return row.p50 === null ? null : Number(row.p50);
  if (row.denominator === null) return Number(row.numerator);
  return Number(row.denominator) > 0 ? Number(row.numerator) / Number(row.denominator) : null;
}

/** A query as an analyst runs it: the marts as the catalog holds them, every slice's rows (pulse query, Athena). */
async function asAnalyst(sql: string): Promise<Row[]> {
  await registerLake(ctx, undefined, { catalog: true });
  try {
    return await ctx.engine.query(sql);
  } finally {
    await registerLake(ctx);
  }
}

async function rowsOf(id: string): Promise<Row[]> {
  const query = inputs.queries?.queries.find((q) => q.kpis.includes(id));
  if (!query) throw new Error(`no query holds ${id}`);
  const rows = await asAnalyst(reproducingQuery(query, id));
  expect(rows.every((r) => r.kpi === id)).toBe(true);
  return rows;
}

describe('lake inventory of the golden catalog', () => {
  it('counts every curated table: the CSV rows, none rejected and no record given twice', () => {
    // Each fixture CSV holds one row per record (no duplicates, no bad rows, no deleted ticket),
    // so the curated count is its data lines: tickets K1–K4, events 2, contacts Q1–Q4, agents
    // a1 a2 b1 b2, agent time 5 days, customers 5, subscriptions 7, surveys S1–S9, cost lines 5,
    // orders O1–O4, self-service X1–X3.
    const rows = Object.fromEntries(inputs.inventory.tables.filter((t) => t.layer === 'curated').map((t) => [t.table, t.rows]));
    expect(rows).toEqual({
      tickets: 4,
      ticket_events: 2,
      contacts: 4,
      agents: 4,
      agent_time: 5,
      customers: 5,
      subscriptions: 7,
      surveys: 9,
      costs: 5,
      orders: 4,
      self_service: 3,
    });
    expect(report.dataQuality.sources.every((s) => s.rowsRejected === 0)).toBe(true);
  });

  it('gives the months present and the rows in the period', () => {
    // agent_time: a1 worked 30 Sep, the rest is October; costs: one tooling line of 2026-09.
    expect(table('agent_time')).toMatchObject({ months: { first: '2026-09', last: '2026-10', count: 2 }, rowsInPeriod: 4 });
    expect(table('costs')).toMatchObject({ months: { first: '2026-09', last: '2026-10', count: 2 }, rowsInPeriod: 4 });
    expect(table('tickets')).toMatchObject({ months: { first: '2026-10', last: '2026-10', count: 1 }, rowsInPeriod: 4 });
    // Not placed in months: no partitions, no period count.
    for (const name of ['agents', 'customers', 'subscriptions']) expect(table(name)).toMatchObject({ months: null, rowsInPeriod: null });
  });

  it('reads freshness from the column each record is placed or versioned by', () => {
    // K3: created and last updated 6 Oct 09:00, the latest of both columns.
    expect(table('tickets')).toMatchObject({ freshest: '2026-10-06T09:00:00.000Z', freshestColumn: 'updated_at' });
    expect(table('ticket_events')).toMatchObject({ freshest: '2026-10-02T12:00:00.000Z', freshestColumn: 'at' });
    expect(table('contacts')).toMatchObject({ freshest: '2026-10-08T09:00:00.000Z', freshestColumn: 'queued_at' }); // Q4
    expect(table('surveys')).toMatchObject({ freshest: '2026-10-15T09:00:00.000Z', freshestColumn: 'answered_at' }); // S9
    expect(table('orders')).toMatchObject({ freshest: '2026-10-06T12:00:00.000Z', freshestColumn: 'ordered_at' }); // O4
    expect(table('self_service')).toMatchObject({ freshest: '2026-10-04T08:00:00.000Z', freshestColumn: 'started_at' }); // X3
    expect(table('agent_time')).toMatchObject({ freshest: '2026-10-12', freshestColumn: 'date' }); // b1
    expect(table('costs')).toMatchObject({ freshest: '2026-10', freshestColumn: 'period' });
    expect(table('agents')).toMatchObject({ freshest: null, freshestColumn: null });
  });

  it('counts every mart of the marts list and kpi_monthly', async () => {
    // tickets_created: one row per ticket (4); tickets_solved: K1, K2, K4 have a solve (3);
    // volume_daily: the four tickets were created on four different days (2, 3, 5, 6 Oct).
    expect(table('tickets_created')).toMatchObject({ rows: 4, rowsInPeriod: 4, freshest: '2026-10', freshestColumn: 'month' });
    expect(table('tickets_solved').rows).toBe(3);
    expect(table('volume_daily').rows).toBe(4);
    // kpi_monthly is built for every month any entity has data for: September (agent time, a
    // cost line) and October.
    expect(table('kpi_monthly').months).toEqual({ first: '2026-09', last: '2026-10', count: 2 });
    // Whatever the marts list holds (a mart added later included), the count is the engine's.
    for (const t of inputs.inventory.tables.filter((x) => x.layer === 'mart')) {
      const [row] = await ctx.engine.query(`select count(*) as n from ${t.table}`);
      expect(t.rows, t.table).toBe(Number(row?.n));
    }
  });
});

describe('lake inventory of an empty lake', () => {
  it('lists every table with no rows, no months and no freshness', async () => {
    const dir = path.resolve(import.meta.dirname, '../../.tmp/analyst-inputs-empty');
    rmSync(dir, { recursive: true, force: true });
    const loaded = await loadConfig(fixture);
    loaded.config.lake = dir;
    const empty = await createLocalContext(loaded, parsePeriod('2026-10'), { quiet: true });
    try {
      const result = await analystInputs(empty);
      expect(result.queries).toBeNull();
      expect(result.inventory.tables.map((t) => t.table)).toEqual(inputs.inventory.tables.map((t) => t.table));
      for (const t of result.inventory.tables) {
        expect(t, t.table).toMatchObject({ rows: 0, months: null, freshest: null });
        expect(t.rowsInPeriod, t.table).toBe(t.layer === 'mart' || !['agents', 'customers', 'subscriptions'].includes(t.table) ? 0 : null);
      }
    } finally {
      await empty.engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('reproducing a KPI from its query', () => {
  it('reads the queries evaluate ran for the period: each file as rendered, and the KPIs its rows held', async () => {
    expect(inputs.queries?.queries.map((q) => q.file)).toEqual([...kpiQueries]);
    // Holds whether evaluate wrote queries.json or this test wrote it the way evaluate does.
    // The KPIs in any order: a grouped query returns its rows in no set order.
    const sorted = (q: KpiQueries | null) => q?.queries.map((x) => ({ ...x, kpis: [...x.kpis].sort() }));
    expect(sorted(inputs.queries)).toEqual(sorted(await queriesAsEvaluateWrites(ctx)));
  });

  it('says the rows were read from kpi_monthly, where the marts stage stored what the query returned', async () => {
    expect(queriesFromEvaluate).toBe(true);
    expect(inputs.queries?.queries.every((q) => q.readFrom === 'kpi_monthly')).toBe(true);
    const message = await renderAnalyst(report, inputs, { name: 'analyst' });
    const sqlFile = message.files.find((f) => f.filename === 'kpi-queries.sql')!.content.toString('utf8');
    expect(sqlFile).toContain(
      '-- query: kpis/durations.sql, as the marts stage ran it for 2026-10 (evaluate read its rows back from kpi_monthly)',
    );
  });

  it('first_reply_time: p50 of the headline row', async () => {
    // Replies: K1 1 h, K2 30 min, K4 30 min (K3 none) → p50 1 800 s.
    const rows = await rowsOf('first_reply_time');
    expect(headline('first_reply_time', rows)).toBe(1800);
    expect(report.kpis.first_reply_time?.value).toBe(1800);
    const head = rows.find((r) => r.dimension === '')!;
    expect(report.kpis.first_reply_time).toMatchObject({ stats: { p50: head.p50, p90: head.p90, mean: head.mean, n: head.n } });
  });

  it('csat: numerator ÷ denominator of the headline row', async () => {
    // CSAT answers S1 5, S2 3, S3 4 → 2 of 3 are 4–5.
    const head = (await rowsOf('csat')).find((r) => r.dimension === '')!;
    expect([head.numerator, head.denominator]).toEqual([2, 3]);
    expect(report.kpis.csat?.value).toBe(2 / 3);
  });

  it('tickets_created: the numerator of the headline row', async () => {
    const head = (await rowsOf('tickets_created')).find((r) => r.dimension === '')!;
    expect(head).toMatchObject({ numerator: 4, denominator: null });
    expect(report.kpis.tickets_created?.value).toBe(4);
  });

  it('every KPI with a query gives the value kpis.json holds', async () => {
    const message = await renderAnalyst(report, inputs, { name: 'analyst' });
    const sqlFile = message.files.find((f) => f.filename === 'kpi-queries.sql')!.content.toString('utf8');
    let checked = 0;
    for (const [id, kpi] of Object.entries(report.kpis)) {
      const query = inputs.queries!.queries.find((q) => q.kpis.includes(id));
      if (!query || kpi.status === 'not_measured') continue;
      const sql = reproducingQuery(query, id);
      expect(sqlFile).toContain(`${sql};`);
      const value = headline(id, await asAnalyst(sql));
      if (kpi.value === null) expect(value, id).toBeNull();
      else expect(value, id).toBeCloseTo(kpi.value, 9);
      checked += 1;
    }
    // Every catalog KPI but the three evaluate computes in TypeScript.
    expect(checked).toBe(Object.keys(report.kpis).length - 3);
  });

  it('kpi-queries.sql runs on DuckDB as one script and every block parses as Trino (Athena)', async () => {
    const message = await renderAnalyst(report, inputs, { name: 'analyst' });
    const sqlFile = message.files.find((f) => f.filename === 'kpi-queries.sql')!.content.toString('utf8');
    // DuckDB runs every statement of a script and fails on the first that does not run.
    await expect(asAnalyst(sqlFile)).resolves.toBeDefined();
    const trino = new TrinoSQL();
    for (const query of inputs.queries!.queries) {
      for (const id of query.kpis) expect(trino.validate(reproducingQuery(query, id)).map((e) => e.message), id).toEqual([]);
    }
  });

  it('renders the notes of the real lake: every table and KPI named, under 102 KB', async () => {
    const message = await renderAnalyst(report, inputs, { name: 'analyst' });
    expect(message.subject).toBe('Pulse data notes — October 2026');
    for (const t of inputs.inventory.tables) expect(message.html).toContain(`>${t.table}<`);
    for (const id of Object.keys(report.kpis)) expect(message.html).toContain(`>${id}<`);
    expect(Buffer.byteLength(message.html)).toBeLessThan(102 * 1024);
  });
});
