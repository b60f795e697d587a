import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDemoConfig } from '../../functions/cli/demo.ts';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { loadConfig } from '../../functions/config/load.ts';
import { readSql, renderSql } from '../../functions/dialect/sqlText.ts';
import { measureQueries } from '../../functions/kpis/measure.ts';
import { monthRange, parsePeriod, periodAt, periodFromMonths } from '../../functions/kpis/period.ts';
import type { Row } from '../../functions/ports/queryEngine.ts';
import { generateSampleCompany } from '../../functions/sample/demoCompany.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { curate } from '../../functions/stages/curate.ts';
import { extract } from '../../functions/stages/extract.ts';
import {
  kpiRowsSql,
  periodsParams,
  registerCurated,
  registerIntermediate,
  registerLake,
  registerMartViews,
  sourceParams,
  sqlParams,
} from '../../functions/stages/lake.ts';
import { configuredSlices } from '../../functions/stages/slice.ts';
import { buildMarts } from '../../functions/stages/marts.ts';

/**
 * The KPI queries written over the periods relations (functions/stages/periodsSql.ts) give, for
 * many periods in one statement, exactly the rows each period gives alone: kpi_monthly built in
 * one pass equals the month-by-month rendering, and a quarter measured beside its own months
 * equals the quarter measured alone. The lake: the sample company, all sources, 6 months of a
 * few hundred tickets, in Helsinki time (a month's bounds are not UTC midnights, and October's
 * last Sunday changes the offset).
 */
const months = monthRange('2026-05', '2026-10');
let dir: string;
let ctx: StageContext;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pulse-kpi-periods-'));
  await generateSampleCompany({
    outDir: path.join(dir, 'exports'),
    months: months.length,
    ticketsPerMonth: 300,
    seed: 7,
    endMonth: '2026-10',
    timezone: 'Europe/Helsinki',
  });
  const loaded = await loadConfig(await writeDemoConfig(dir, 'Europe/Helsinki'));
  ctx = await createLocalContext(loaded, parsePeriod('2026-10'), { quiet: true });
  await extract(ctx);
  await curate(ctx);
  await buildMarts(ctx);
  await registerLake(ctx);
}, 300_000);

afterAll(async () => {
  await ctx?.engine.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const key = (r: Row) => ['slice', 'month', 'period', 'query', 'kpi', 'dimension', 'member'].map((c) => text(r[c])).join('|');
const sorted = (rows: Row[]) => [...rows].sort((a, b) => key(a).localeCompare(key(b)));

/** Rows equal cell by cell: integers exactly, doubles to 1e-9 relative; the same keys in the same order. */
function expectSameRows(actual: Row[], expected: Row[]): void {
  expect(sorted(actual).map(key)).toEqual(sorted(expected).map(key));
  const want = sorted(expected);
  sorted(actual).forEach((row, i) => {
    for (const [column, value] of Object.entries(want[i]!)) {
      const got = row[column];
      if (typeof value === 'number' && typeof got === 'number' && !Number.isInteger(value)) {
        expect(Math.abs(got - value), `${key(row)} ${column}`).toBeLessThanOrEqual(1e-9 * Math.abs(value));
      } else expect(got, `${key(row)} ${column}`).toEqual(value);
    }
  });
}

describe('KPI queries over the periods relations', () => {
  // Two renderings of 6 months for the lake and a slice: minutes on a loaded machine.
  it('build kpi_monthly in one pass with the rows of the month-by-month rendering, for the lake and its slice', async () => {
    const stored = await ctx.engine.query(`select * from kpi_monthly`);
    const perMonth: Row[] = [];
    const lakeParams = { ...sqlParams(ctx.config, ctx.period), ...sourceParams(ctx.config) };
    // The demo config's sliced audience (team=frontline): its rows are measured over its records alone.
    const slices = configuredSlices(ctx.config.audiences);
    expect(slices.map((s) => s.key)).toEqual(['team=frontline']);
    for (const { key, slice } of [{ key: '', slice: undefined }, ...slices]) {
      if (slice) {
        await registerCurated(ctx, slice);
        await registerIntermediate(ctx, lakeParams);
        await registerMartViews(ctx, lakeParams);
      }
      for (const month of months) {
        const params = { ...sqlParams(ctx.config, periodFromMonths([month])), ...sourceParams(ctx.config) };
        perMonth.push(...(await ctx.engine.query(kpiRowsSql(params, month, key))));
      }
    }
    await registerLake(ctx);
    expect(new Set(stored.map((r) => r.month))).toEqual(new Set(months));
    // Every query measured something in every month and slice: the comparison is not of empty sets.
    expect(new Set(stored.map((r) => `${r.month} ${r.query} ${r.slice}`)).size).toBe(
      months.length * measureQueries.length * 2,
    );
    expectSameRows(stored, perMonth);
  }, 300_000);

  it('measure a quarter beside its own months as they measure it alone', async () => {
    const quarter = parsePeriod('2026-Q3');
    const alone = { ...sqlParams(ctx.config, quarter), ...sourceParams(ctx.config) };
    const periods = [quarter, ...quarter.months.map((m) => periodFromMonths([m]))];
    const together = { ...periodsParams(ctx.config, periods), ...sourceParams(ctx.config) };
    const converted = measureQueries.filter((q) => q.perPeriod);
    expect(converted.length).toBeGreaterThan(0);
    for (const { file } of converted) {
      const sql = readSql(file);
      const all = await ctx.engine.query(renderSql(sql, together));
      expect(new Set(all.map((r) => r.period))).toEqual(new Set(['2026-Q3', ...quarter.months]));
      expectSameRows(
        all.filter((r) => r.period === '2026-Q3'),
        await ctx.engine.query(renderSql(sql, alone)),
      );
    }
  });

  it('measure a month to date beside the whole months it overlaps as it measures alone, every query in one pass', async () => {
    // Every KPI query is written over the periods relations: kpi_monthly takes one statement per batch.
    expect(measureQueries.filter((q) => !q.perPeriod).map((q) => q.file)).toEqual([]);
    // 1–10 October in Helsinki ends at 10 Oct 21:00 UTC, inside October, which is a period of its own too.
    const toDate = periodAt(parsePeriod('2026-10'), new Date('2026-10-10T12:00:00Z'), ctx.config.timezone, true);
    expect(toDate.partial).toEqual({ through: '2026-10-10' });
    const alone = { ...sqlParams(ctx.config, toDate), ...sourceParams(ctx.config) };
    const periods = [toDate, parsePeriod('2026-09'), parsePeriod('2026-10')];
    const together = { ...periodsParams(ctx.config, periods), ...sourceParams(ctx.config) };
    for (const { file } of measureQueries) {
      const sql = readSql(file);
      const all = await ctx.engine.query(renderSql(sql, together));
      expect(new Set(all.map((r) => r.period))).toEqual(new Set(periods.map((p) => p.id)));
      expectSameRows(
        all.filter((r) => r.period === toDate.id),
        await ctx.engine.query(renderSql(sql, alone)),
      );
    }
  });
});
