import { describe, expect, it } from 'vitest';
import { competitorGaps } from '../../functions/kpis/benchmarks.ts';
import { kpiById } from '../../functions/kpis/catalog.ts';
import type { KpiResult } from '../../functions/kpis/types.ts';
import { catalogKpi } from '../support/kpis.ts';

/**
 * docs/kpis.md and docs/rules.md: "its breakdown gap holds, per `<kpi>.<benchmark>` pair, the KPI's value minus the
 * benchmark signed so that positive means better than the benchmark, and its value is the
 * number of pairs behind."
 */
function measured(id: string, value: number | null): KpiResult {
  return catalogKpi(kpiById(id)!, { value });
}

function notMeasured(id: string): KpiResult {
  const d = kpiById(id)!;
  return {
    id,
    label: d.label,
    family: d.family,
    unit: d.unit,
    direction: d.direction,
    description: d.description,
    value: null,
    status: 'not_measured',
    notMeasured: 'needs contacts: no source provides it',
  };
}

describe('competitor_gap', () => {
  it('signs each gap so that positive is better, keys it <kpi>.<benchmark> and counts the pairs behind', () => {
    // prepare
    const kpis = {
      csat: measured('csat', 0.8), // higher is better
      first_reply_time: measured('first_reply_time', 5400), // lower is better
      reopen_rate: measured('reopen_rate', 0.05), // lower is better
      handle_time: notMeasured('handle_time'),
      nps: measured('nps', null), // measured, but no answers in the period
    };
    const benchmarks = {
      csat: { industry: 0.86, rival: 0.75 },
      first_reply_time: { industry: 7200, rival: 3600 },
      reopen_rate: { industry: 0.05 },
      handle_time: { industry: 300 },
      nps: { industry: 30 },
    };

    // act
    const { behind, gaps } = competitorGaps(kpis, benchmarks);

    // assess
    expect(Object.keys(gaps).sort()).toEqual([
      'csat.industry',
      'csat.rival',
      'first_reply_time.industry',
      'first_reply_time.rival',
      'handle_time.industry',
      'nps.industry',
      'reopen_rate.industry',
    ]);
    expect(gaps['csat.industry']).toBeCloseTo(-0.06, 12); // 0.80 − 0.86: behind
    expect(gaps['csat.rival']).toBeCloseTo(0.05, 12); // 0.80 − 0.75: ahead
    expect(gaps['first_reply_time.industry']).toBe(1800); // lower is better: 7200 − 5400 = +1800, ahead
    expect(gaps['first_reply_time.rival']).toBe(-1800); // 3600 − 5400 = −1800, behind
    expect(gaps['reopen_rate.industry']).toBe(0); // exactly level: not behind
    expect(gaps['handle_time.industry']).toBeNull(); // not measured: no gap, not behind
    expect(gaps['nps.industry']).toBeNull(); // no value this period: no gap, not behind
    // Behind: csat.industry and first_reply_time.rival.
    expect(behind).toBe(2);
  });

  it('gives a benchmark of a KPI id the catalog does not know a null gap', () => {
    const { behind, gaps } = competitorGaps({}, { csat_score: { industry: 0.8 } });
    expect({ behind, gaps }).toEqual({ behind: 0, gaps: { 'csat_score.industry': null } });
  });
});
