import { display, type Display } from '../kpis/format.ts';
import type { MeasuredKpi } from '../kpis/types.ts';

/**
 * The words every report prints beside a rate's or score's value about what it rests on
 * (docs/rules.md, "Samples"): its 95% margin of error, and a sample too small to judge by.
 */

/** The report's Display, for its locale; en-US for a caller without one. */
const enUS = display({ currency: 'USD', locale: 'en-US' });

/** "± 6.0 pp" for a ratio, "± 28.1" (points) for a score: half the 95% interval; null without one. */
export function marginNote(kpi: MeasuredKpi, shown: Display = enUS): string | null {
  const margin = kpi.stats.marginOfError;
  if (margin === null || margin === undefined || kpi.value === null) return null;
  return kpi.unit === 'ratio' ? `± ${shown.decimal(margin * 100, 1)} pp` : `± ${shown.decimal(margin, 1)}`;
}

/**
 * "n = 24, small sample" for a rate or score below the minimum sample, which takes no status in
 * its place; with nothing at all to measure, why the value is "–". Null for a sample large enough.
 */
export function sampleNote(kpi: MeasuredKpi, sliced = false, shown: Display = enUS): string | null {
  if (!kpi.sample?.small) return null;
  if (kpi.sample.n === 0) return `n = 0, none in ${sliced ? 'this slice' : 'the period'}`;
  return `n = ${shown.count(kpi.sample.n)}, small sample`;
}
