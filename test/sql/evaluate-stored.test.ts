import path from 'node:path';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { KpiReport, MeasuredKpi } from '../../functions/kpis/types.ts';
import { lakeKeys } from '../../functions/model/lakeKeys.ts';
import { evaluate } from '../../functions/stages/evaluate.ts';
import { buildFixtureLake } from '../support/lake.ts';

/**
 * Evaluate reads the previous month and the same month last year from kpi_monthly, which the
 * marts stage built from the very SQL evaluate would run: the numbers are those of running it.
 * Held to that on the whole-catalog fixture: with kpi_monthly gone, evaluate computes the two
 * periods itself, and every KPI's previous, change and last-year value is the same.
 */
const fixture = path.resolve(import.meta.dirname, '../fixtures/golden-catalog/pulse.config.json');
const lake = path.resolve(import.meta.dirname, '../../.tmp/evaluate-stored-lake');
afterAll(() => rmSync(lake, { recursive: true, force: true }));

const measuredOf = (report: KpiReport) => Object.values(report.kpis).filter((k): k is MeasuredKpi => k.status !== 'not_measured');
const compared = (report: KpiReport) => Object.fromEntries(measuredOf(report).map((k) => [k.id, { value: k.value, previous: k.previous, change: k.change, changeRatio: k.changeRatio, lastYear: k.lastYear, drivers: k.drivers ?? null }]));

describe('evaluate with the stored months', () => {
  it('gives the previous and last-year numbers of computing them', async () => {
    const { ctx, report } = await buildFixtureLake(fixture, '2026-10', { lake, now: new Date('2026-11-02T06:00:00Z') });
    const withPrevious = measuredOf(report).filter((k) => k.previous !== null);
    expect(withPrevious.length).toBeGreaterThanOrEqual(10);
    await ctx.store.deletePrefix(lakeKeys.mart('kpi_monthly'));
    const computed = await evaluate(ctx);
    expect(compared(computed)).toEqual(compared(report));
    await ctx.engine.close();
  });
});
