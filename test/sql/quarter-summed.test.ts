import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeDemoConfig } from '../../functions/cli/demo.ts';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { loadConfig } from '../../functions/config/load.ts';
import { readSql } from '../../functions/dialect/sqlText.ts';
import { summedAcrossMonths } from '../../functions/kpis/catalog.ts';
import { measureQueries } from '../../functions/kpis/measure.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { KpiQueries, KpiReport, PeriodInfo } from '../../functions/kpis/types.ts';
import { lakeKeys } from '../../functions/model/lakeKeys.ts';
import { getJson } from '../../functions/ports/objectStore.ts';
import { generateSampleCompany } from '../../functions/sample/demoCompany.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { curate } from '../../functions/stages/curate.ts';
import { audienceReportKey, evaluate, queriesKey } from '../../functions/stages/evaluate.ts';
import { extract } from '../../functions/stages/extract.ts';
import { buildMarts } from '../../functions/stages/marts.ts';
import { buildFixtureLake } from '../support/lake.ts';

/**
 * A quarter or a range of months the marts hold sums the additive KPIs' kpi_monthly rows and
 * runs the other KPIs' queries over the curated rows (docs/design.md, "Quarters and ranges"). Its
 * kpis.json is the one the queries give over the whole period, to the bit: with kpi_monthly gone,
 * evaluate measures every KPI by its query again, and each KPI, its comparisons, breakdowns, stats
 * and drivers are the same (the history alone is left out: it is read from kpi_monthly).
 */

/** A report with each KPI's 13-month history left out. */
const withoutHistory = (report: KpiReport) => ({
  ...report,
  kpis: Object.fromEntries(
    Object.entries(report.kpis).map(([id, kpi]) => [id, kpi.status === 'not_measured' ? kpi : { ...kpi, history: [] }]),
  ),
});

/** Two reports the same but for the history, the summed KPIs among them measured. */
function expectSameReport(actual: KpiReport, expected: KpiReport, name: string): void {
  const summed = Object.values(actual.kpis).filter((k) => summedAcrossMonths.has(k.id) && k.status !== 'not_measured');
  expect(summed.length, name).toBeGreaterThan(10);
  expect(withoutHistory(actual), name).toEqual(withoutHistory(expected));
}

/** The engine's statements, each as the method and its text, beside the context that sends them. */
function spied(ctx: StageContext): { ctx: StageContext; sent: string[] } {
  const sent: string[] = [];
  const engine = new Proxy(ctx.engine, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        sent.push(`${String(property)} ${args.filter((a) => typeof a === 'string').join(' ')}`);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { ctx: { ...ctx, engine }, sent };
}

/** The KPI query files whose statements (each starts with its header comment) measured the period. */
const queriedFor = (sent: string[], period: string) =>
  measureQueries
    .filter(({ file }) => sent.some((s) => s.includes(readSql(file).split('\n')[0]!) && s.includes(`'${period}'`)))
    .map((q) => q.file);

/** Reports of the lake and of its sliced audiences for a period, as evaluate wrote them. */
async function reportsOf(ctx: StageContext, period: PeriodInfo): Promise<Record<string, KpiReport>> {
  const at = { ...ctx, period };
  const reports: Record<string, KpiReport> = { '': await evaluate(at) };
  for (const audience of ctx.config.audiences.filter((a) => a.slice))
    reports[audience.name] = (await getJson<KpiReport>(ctx.store, audienceReportKey(period.id, audience.name)))!;
  return reports;
}

describe('a quarter of the golden fixture', () => {
  const lake = path.resolve(import.meta.dirname, '../../.tmp/quarter-summed-lake');
  let ctx: StageContext | undefined;
  afterAll(async () => {
    await ctx?.engine.close();
    rmSync(lake, { recursive: true, force: true });
  });

  it('runs no query over the curated rows for its additive KPIs, and the medians and stocks its queries', async () => {
    const fixture = path.resolve(import.meta.dirname, '../fixtures/golden-quarter/pulse.config.json');
    ({ ctx } = await buildFixtureLake(fixture, '2026-Q3', { lake }));
    const spy = spied(ctx);
    const summed = await evaluate(spy.ctx);
    // ticket_rates measures additive KPIs only (counts and rates over tickets created or solved):
    // July to September are summed from kpi_monthly. The others each measure a median, a stock or
    // a distinct count, and run for it alone: the additive KPIs they hold are filtered out.
    expect(queriedFor(spy.sent, '2026-Q3')).toEqual(measureQueries.map((q) => q.file).filter((f) => f !== 'kpis/ticket_rates.sql'));
    // ticket_status runs for the backlog, without CSAT and its response base: summed, not measured.
    const sentFor = (file: string) =>
      spy.sent.filter((s) => s.includes("'2026-Q3'") && s.includes(readSql(file).split('\n')[0]!));
    expect(sentFor('kpis/ticket_status.sql').join('')).toContain(
      ") as measured where kpi not in ('csat', 'csat_solved_tickets')",
    );
    // durations.sql measures medians alone: it runs as it is.
    expect(sentFor('kpis/durations.sql').join('')).not.toContain('as measured where');
    expect(spy.sent.some((s) => /sum\(numerator\)[\s\S]*from kpi_monthly[\s\S]*'2026-07', '2026-08', '2026-09'/.test(s))).toBe(true);
    // Q2 (April to June) is no whole run of months the marts hold (the data starts on 20 June): measured.
    expect(queriedFor(spy.sent, '2026-Q2')).toEqual(measureQueries.map((q) => q.file));
    // The queries record says where each KPI's rows came from: summed from kpi_monthly, or run.
    const record = (await getJson<KpiQueries>(ctx.store, queriesKey('2026-Q3')))!.queries;
    const from = (id: string) => record.filter((q) => q.kpis.includes(id)).map((q) => [q.file, q.readFrom ?? 'run']);
    expect(from('tickets_created')).toEqual([['kpis/ticket_rates.sql', 'kpi_monthly']]);
    expect(from('csat')).toEqual([['kpis/ticket_status.sql', 'kpi_monthly']]);
    expect(from('backlog_open')).toEqual([['kpis/ticket_status.sql', 'run']]);
    expect(from('first_reply_time')).toEqual([['kpis/durations.sql', 'run']]);
    // The sums are the golden numbers: 3 + 1 + 4 tickets created, 6 of 8 replied within 24 h.
    expect(summed.kpis.tickets_created?.value).toBe(8);
    expect(summed.kpis.replied_within_24h_rate?.value).toBe(0.75);

    await ctx.store.deletePrefix(lakeKeys.mart('kpi_monthly'));
    expectSameReport(summed, await evaluate(ctx), '2026-Q3');
  });
});

describe('a generated lake of eight months', () => {
  let dir: string | undefined;
  let ctx: StageContext | undefined;
  afterAll(async () => {
    await ctx?.engine.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives a quarter and a range the kpis.json of their queries, for the lake and its slice', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pulse-quarter-summed-'));
    // February to September 2026: Q3 and the Q2 before it, and June..September and the four
    // months before it, are whole months the marts hold (last year's are not: measured).
    await generateSampleCompany({
      outDir: path.join(dir, 'exports'),
      months: 8,
      ticketsPerMonth: 250,
      seed: 5,
      endMonth: '2026-09',
      timezone: 'UTC',
    });
    const loaded = await loadConfig(await writeDemoConfig(dir, 'UTC'));
    ctx = await createLocalContext(loaded, parsePeriod('2026-Q3'), { quiet: true });
    await extract(ctx);
    await curate(ctx);
    await buildMarts(ctx);
    const periods = [parsePeriod('2026-Q3'), parsePeriod('2026-06..2026-09')];
    const summed: Record<string, Record<string, KpiReport>> = {};
    for (const period of periods) {
      const spy = spied(ctx);
      summed[period.id] = await reportsOf(spy.ctx, period);
      expect(queriedFor(spy.sent, period.id), period.id).not.toContain('kpis/ticket_rates.sql');
      expect(queriedFor(spy.sent, period.id), period.id).toContain('kpis/durations.sql');
    }
    // The demo config's sliced audience (team=frontline) has a report of its own, summed too.
    expect(Object.keys(summed['2026-Q3']!)).toEqual(['', 'frontline']);
    expect(summed['2026-Q3']!['']!.kpis.tickets_created?.value).toBeGreaterThan(500);

    await ctx.store.deletePrefix(lakeKeys.mart('kpi_monthly'));
    for (const period of periods) {
      const queried = await reportsOf(ctx, period);
      for (const [name, report] of Object.entries(queried))
        expectSameReport(summed[period.id]![name]!, report, `${period.id} ${name || 'lake'}`);
    }
  }, 600_000);
});
