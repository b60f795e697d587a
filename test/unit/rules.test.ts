import { describe, expect, it } from 'vitest';
import { kpiById, type KpiDefinition } from '../../functions/kpis/catalog.ts';
import type { KpiMeasure } from '../../functions/kpis/measure.ts';
import { buildKpi, statusOf, type KpiInputs, type Thresholds } from '../../functions/kpis/rules.ts';

/**
 * docs/rules.md, "Status, change and drivers" (direction-aware): critical at or past critical; else warning
 * at or past warning, or short of target; else good; none without thresholds."
 */
const definition = (id: string): KpiDefinition => {
  const found = kpiById(id);
  if (!found) throw new Error(`${id} is not in the catalog`);
  return found;
};
const csat = definition('csat'); // higher is better
const firstReply = definition('first_reply_time'); // lower is better
const created = definition('tickets_created'); // neutral

describe('statusOf: a higher-is-better KPI (CSAT: target 0.9, warning 0.8, critical 0.7)', () => {
  const thresholds: Thresholds = { target: 0.9, warning: 0.8, critical: 0.7 };
  it.each([
    [0.95, 'good', 'better than the target'],
    [0.9, 'good', 'exactly at the target is not short of it'],
    [0.85, 'warning', 'short of the target, better than the warning'],
    [0.8, 'warning', 'exactly at the warning'],
    [0.75, 'warning', 'past the warning, better than the critical'],
    [0.7, 'critical', 'exactly at the critical'],
    [0.6, 'critical', 'past the critical'],
  ] as const)('%s → %s (%s)', (value, status, why) => {
    expect(statusOf(csat, value, thresholds), why).toBe(status);
  });
});

describe('statusOf: a lower-is-better KPI (first reply: target 3600 s, warning 7200 s, critical 14400 s)', () => {
  const thresholds: Thresholds = { target: 3600, warning: 7200, critical: 14400 };
  it.each([
    [1800, 'good', 'better than the target'],
    [3600, 'good', 'exactly at the target is not short of it'],
    [5400, 'warning', 'short of the target, better than the warning'],
    [7200, 'warning', 'exactly at the warning'],
    [10000, 'warning', 'past the warning, better than the critical'],
    [14400, 'critical', 'exactly at the critical'],
    [20000, 'critical', 'past the critical'],
  ] as const)('%s → %s (%s)', (value, status, why) => {
    expect(statusOf(firstReply, value, thresholds), why).toBe(status);
  });
});

describe('statusOf: partial thresholds, none and null', () => {
  it('a target alone: short of it is a warning, at or better is good, in both directions', () => {
    expect([0.89, 0.9, 0.91].map((v) => statusOf(csat, v, { target: 0.9 }))).toEqual(['warning', 'good', 'good']);
    expect([3601, 3600, 3599].map((v) => statusOf(firstReply, v, { target: 3600 }))).toEqual([
      'warning',
      'good',
      'good',
    ]);
  });

  it('a target of 0 for a lower KPI (backlog): 0 is good, 1 is short of it', () => {
    const backlog = definition('backlog_open');
    expect([0, 1].map((v) => statusOf(backlog, v, { target: 0 }))).toEqual(['good', 'warning']);
  });

  it('a warning or a critical alone, without a target', () => {
    expect([7199, 7200].map((v) => statusOf(firstReply, v, { warning: 7200 }))).toEqual(['good', 'warning']);
    expect([0.71, 0.7].map((v) => statusOf(csat, v, { critical: 0.7 }))).toEqual(['good', 'critical']);
  });

  it('critical wins over warning when a value is past both', () => {
    expect(statusOf(firstReply, 30000, { warning: 7200, critical: 14400 })).toBe('critical');
  });

  it('is none without thresholds: no entry, an empty entry, or only explainAbove', () => {
    expect(statusOf(csat, 0.5, undefined)).toBe('none');
    expect(statusOf(csat, 0.5, {})).toBe('none');
    expect(statusOf(csat, 0.5, { explainAbove: 0.1 })).toBe('none');
  });

  it('is none for a KPI with no value, whatever its thresholds', () => {
    expect(statusOf(csat, null, { target: 0.9, warning: 0.8, critical: 0.7 })).toBe('none');
    expect(statusOf(firstReply, null, { target: 3600 })).toBe('none');
  });

  it('is none for a neutral KPI: no side is the bad one', () => {
    expect(statusOf(created, 10, { target: 100, warning: 50, critical: 10 })).toBe('none');
  });
});

const count = (value: number | null): KpiMeasure => ({
  headline: { value, numerator: value ?? 0, denominator: null, n: value ?? 0 },
  breakdowns: {},
});

function inputs(overrides: Partial<KpiInputs>): KpiInputs {
  return {
    definition: created,
    current: count(10),
    previous: undefined,
    lastYear: undefined,
    history: [],
    thresholds: undefined,
    ...overrides,
  };
}

describe('buildKpi: change against the previous period and last year', () => {
  it('change = value − previous, changeRatio = change ÷ |previous|, changeLastYear = value − last year', () => {
    // prepare: 15 tickets now, 12 in the previous period, 20 a year ago.
    const kpi = buildKpi(inputs({ current: count(15), previous: count(12), lastYear: count(20) }));
    // assess: 15 − 12 = 3; 3 ÷ 12 = 0.25; 15 − 20 = −5.
    expect(kpi).toMatchObject({
      value: 15,
      previous: 12,
      change: 3,
      changeRatio: 0.25,
      lastYear: 20,
      changeLastYear: -5,
    });
  });

  it('divides by the magnitude of a negative previous value, so an improving margin rises', () => {
    const margin = definition('service_margin_by_segment');
    // −100 against −200: change +100; 100 ÷ |−200| = +0.5 (not −0.5).
    const kpi = buildKpi(inputs({ definition: margin, current: count(-100), previous: count(-200) }));
    expect(kpi).toMatchObject({ change: 100, changeRatio: 0.5 });
  });

  it('has no ratio against a previous 0, and no change without a previous or a current value', () => {
    expect(buildKpi(inputs({ current: count(4), previous: count(0) }))).toMatchObject({ change: 4, changeRatio: null });
    expect(buildKpi(inputs({ current: count(4) }))).toMatchObject({
      previous: null,
      change: null,
      changeRatio: null,
      lastYear: null,
      changeLastYear: null,
    });
    expect(buildKpi(inputs({ current: count(null), previous: count(4), lastYear: count(3) }))).toMatchObject({
      change: null,
      changeRatio: null,
      changeLastYear: null,
    });
  });

  it('carries status and thresholds from the config, null where none are given', () => {
    const duration: KpiMeasure = {
      headline: { value: 5400, p50: 5400, p90: 79200, mean: 19450, n: 12 },
      breakdowns: {},
    };
    const withTargets = buildKpi(
      inputs({
        definition: firstReply,
        current: duration,
        thresholds: { target: 3600, warning: 7200, critical: 14400 },
      }),
    );
    expect(withTargets).toMatchObject({ status: 'warning', target: 3600, warning: 7200, critical: 14400 });
    expect(withTargets.stats).toEqual({ p50: 5400, p90: 79200, mean: 19450, n: 12 });
    const without = buildKpi(inputs({ definition: firstReply, current: duration }));
    expect(without).toMatchObject({ status: 'none', target: null, warning: null, critical: null });
  });

  it('gives a rate numerator, denominator and n; a count n', () => {
    const rate: KpiMeasure = { headline: { value: 0.75, numerator: 6, denominator: 8, n: 8 }, breakdowns: {} };
    expect(buildKpi(inputs({ definition: definition('replied_within_24h_rate'), current: rate })).stats).toEqual({
      numerator: 6,
      denominator: 8,
      n: 8,
    });
    expect(buildKpi(inputs({ current: count(7) })).stats).toEqual({ n: 7 });
  });

  it('keeps breakdowns with several members, drops a lone month and a lone "all"', () => {
    const member = (value: number) => ({ value, numerator: value, denominator: null });
    const current: KpiMeasure = {
      headline: { value: 8, numerator: 8, denominator: null },
      breakdowns: {
        channel: { email: member(5), chat: member(3) },
        month: { '2026-10': member(8) },
        team: { all: member(8) },
      },
    };
    expect(buildKpi(inputs({ current })).breakdowns).toEqual({ channel: { email: 5, chat: 3 } });
    const quarter: KpiMeasure = {
      ...current,
      breakdowns: { month: { '2026-07': member(3), '2026-08': member(1), '2026-09': member(4) } },
    };
    expect(buildKpi(inputs({ current: quarter })).breakdowns).toEqual({
      month: { '2026-07': 3, '2026-08': 1, '2026-09': 4 },
    });
  });
});
