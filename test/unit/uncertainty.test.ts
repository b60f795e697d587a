import { describe, expect, it } from 'vitest';
import { kpiById, type KpiDefinition } from '../../functions/kpis/catalog.ts';
import type { KpiMeasure } from '../../functions/kpis/measure.ts';
import { buildKpi } from '../../functions/kpis/rules.ts';
import { netPromoterMargin, wilsonInterval } from '../../functions/kpis/uncertainty.ts';

const definition = (id: string): KpiDefinition => kpiById(id)!;
const rate = (num: number, den: number) => ({ value: num / den, numerator: num, denominator: den, n: den });
const build = (id: string, current: KpiMeasure, minSample?: number) =>
  buildKpi({
    definition: definition(id),
    current,
    previous: undefined,
    lastYear: undefined,
    history: [],
    thresholds: { target: 0.9, warning: 0.8, critical: 0.7 },
    ...(minSample === undefined ? {} : { minSample }),
  });

describe('95% margins of error (docs/rules.md, "Samples")', () => {
  it('Wilson interval of 20 good answers out of 24', () => {
    // p = 20/24 = 0.833333, z² = 3.8416, z²/n = 0.160067.
    // centre = (0.833333 + 3.8416/48) / 1.160067 = 0.913367 / 1.160067 = 0.787340
    // half   = 1.96/1.160067 · √(0.833333·0.166667/24 + 3.8416/2304)
    //        = 1.689557 · √(0.0057870 + 0.0016674) = 1.689557 · 0.086339 = 0.145875
    const { low, high } = wilsonInterval(20, 24);
    expect(low).toBeCloseTo(0.641465, 6);
    expect(high).toBeCloseTo(0.933214, 6);
  });

  it('Wilson keeps a width at 24 out of 24, where p ± z·√(p(1−p)/n) collapses to nothing', () => {
    // p = 1: centre = (1 + 0.080033)/1.160067 = 0.931010, half = 1.689557·√(0.0016674) = 0.068990.
    const { low, high } = wilsonInterval(24, 24);
    expect(low).toBeCloseTo(0.86202, 5);
    expect(high).toBe(1);
  });

  it('NPS margin: 13 promoters and 3 detractors of 24 answers', () => {
    // p_P = 0.541667, p_D = 0.125, NPS = 41.7. Var = (0.666667 − 0.416667²)/24 = (0.666667 − 0.173611)/24
    // = 0.0205440; SE = 0.143332; margin = 1.96 · 0.143332 · 100 = 28.09 points.
    expect(netPromoterMargin(13, 3, 24)).toBeCloseTo(28.093, 3);
    // 50 promoters, 20 detractors of 100: Var = (0.7 − 0.09)/100 = 0.0061, SE = 0.0781025 → 15.31 points.
    expect(netPromoterMargin(50, 20, 100)).toBeCloseTo(15.308, 3);
  });

  it('CSAT carries its Wilson interval in stats, half its width as the margin', () => {
    const csat = build('csat', { headline: rate(90, 100), breakdowns: {} });
    // 90/100: low 0.825633, high 0.944771 → margin (0.944771 − 0.825633)/2 = 0.059569.
    expect(csat.stats.intervalLow).toBeCloseTo(0.825633, 6);
    expect(csat.stats.intervalHigh).toBeCloseTo(0.944771, 6);
    expect(csat.stats.marginOfError).toBeCloseTo(0.059569, 6);
  });

  it('NPS carries its margin in points from the answer breakdown', () => {
    const nps = build('nps', {
      headline: { value: 30, numerator: 3000, denominator: 100, n: 100 },
      breakdowns: { answer: { promoters: rate(50, 100), passives: rate(30, 100), detractors: rate(20, 100) } },
    });
    expect(nps.stats.marginOfError).toBeCloseTo(15.308, 3);
    expect(nps.stats.intervalLow).toBeCloseTo(30 - 15.308, 3);
    expect(nps.stats.intervalHigh).toBeCloseTo(30 + 15.308, 3);
  });

  it('a KPI that is no survey has no margin', () => {
    const reopen = build('reopen_rate', { headline: rate(10, 100), breakdowns: {} });
    expect(reopen.stats.marginOfError).toBeUndefined();
  });
});

describe('sample sizes and definitions.minSample', () => {
  it('every rate and score carries its n; counts and durations have no sample', () => {
    expect(build('reopen_rate', { headline: rate(10, 100), breakdowns: {} })).toMatchObject({
      sample: { n: 100, small: false },
      stats: { n: 100 },
    });
    const created = build('tickets_created', {
      headline: { value: 5, numerator: 5, denominator: null, n: 5 },
      breakdowns: {},
    });
    expect(created.sample).toBeUndefined();
  });

  it('below the minimum sample a rate is small: status none whatever its thresholds', () => {
    // 20/24 = 83.3% is short of the 90% target (warning) with 30 answers or more; with 24 it is small.
    const small = build('csat', { headline: rate(20, 24), breakdowns: {} });
    expect(small).toMatchObject({ sample: { n: 24, small: true }, status: 'none' });
    const enough = build('csat', { headline: rate(20, 24), breakdowns: {} }, 20);
    expect(enough).toMatchObject({ sample: { n: 24, small: false }, status: 'warning' });
  });

  it('a revenue rate takes its n from the customers it rests on, not from dollars', () => {
    const churn = buildKpi({
      definition: definition('gross_revenue_churn'),
      current: { headline: rate(500, 25_000), breakdowns: {} },
      previous: undefined,
      lastYear: undefined,
      history: [],
      thresholds: { target: 0.01 },
      countedBy: rate(2, 12),
    });
    expect(churn).toMatchObject({ sample: { n: 12, small: true }, status: 'none', stats: { n: 12 } });
  });
});
