import { kpiById } from './catalog.ts';
import type { KpiResult } from './types.ts';

/**
 * competitor_gap: each benchmarked KPI against each benchmark in the config
 * (`benchmarks: { csat: { industry: 0.86 } }`), keyed `<kpi>.<benchmark>` (`csat.industry`).
 * A gap is signed so that positive is better than the benchmark whatever the KPI's direction;
 * the value counts the pairs behind (gap < 0: level with the benchmark is not behind). A KPI
 * with no value (not measured, nothing in the period, unknown id) has a null gap, not behind.
 */
export function competitorGaps(kpis: Record<string, KpiResult>, benchmarks: Record<string, Record<string, number>>) {
  const gaps: Record<string, number | null> = {};
  let behind = 0;
  for (const [id, byWho] of Object.entries(benchmarks)) {
    const kpi = kpis[id];
    const definition = kpiById(id);
    for (const [who, benchmark] of Object.entries(byWho)) {
      const key = `${id}.${who}`;
      if (!kpi || !definition || kpi.value === null) {
        gaps[key] = null;
        continue;
      }
      const gap = definition.direction === 'lower' ? benchmark - kpi.value : kpi.value - benchmark;
      gaps[key] = gap;
      if (gap < 0) behind += 1;
    }
  }
  return { behind, gaps };
}
