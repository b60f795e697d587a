import type { KpiDefinition } from './catalog.ts';
import type { KpiMeasure, MemberMeasure } from './measure.ts';
import type { MarginStats } from './types.ts';

/** The normal quantile of a two-sided 95% interval. */
const z95 = 1.96;

/**
 * The Wilson score interval of `successes` out of `n` (Wilson 1927). Unlike p ± z·√(p(1−p)/n) it
 * stays inside 0–1 and keeps a width at p = 0 or 1, which is where a small CSAT sample lands.
 */
export function wilsonInterval(successes: number, n: number, z = z95): { low: number; high: number } {
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * The 95% margin of an NPS, in points. NPS = 100·(p_P − p_D), and with the answers a multinomial
 * sample, Var(p_P − p_D) = (p_P + p_D − (p_P − p_D)²) ÷ n; the margin is 1.96·√Var·100.
 */
export function netPromoterMargin(promoters: number, detractors: number, n: number, z = z95): number {
  const pP = promoters / n;
  const pD = detractors / n;
  return z * Math.sqrt((pP + pD - (pP - pD) ** 2) / n) * 100;
}

/** Rates and scores rest on a sample; counts, money and durations are not judged by one. */
export const isSampled = (definition: KpiDefinition) => definition.unit === 'ratio' || definition.unit === 'score';

/**
 * The n a rate or score rests on: its denominator (tickets, answers, orders), or, for a rate whose
 * denominator is money, the denominator of the KPI `sampleOf` names. Null for other KPIs.
 */
export function sampleSize(
  definition: KpiDefinition,
  measure: MemberMeasure | undefined,
  countedBy?: MemberMeasure,
): number | null {
  if (!isSampled(definition)) return null;
  const source = definition.sampleOf ? countedBy : measure;
  return source?.denominator ?? 0;
}

/** A survey KPI's 95% margin of error from what the SQL measured; undefined without answers or a margin rule. */
export function marginOf(definition: KpiDefinition, measure: KpiMeasure): MarginStats | undefined {
  const { value, numerator, denominator: n } = measure.headline;
  if (!definition.margin || value === null || !n) return undefined;
  if (definition.margin === 'wilson') {
    const { low, high } = wilsonInterval(numerator ?? 0, n);
    return { marginOfError: (high - low) / 2, intervalLow: low, intervalHigh: high };
  }
  // NPS: the answer breakdown holds promoters ÷ answers and detractors ÷ answers (sql/kpis/customers.sql).
  const answers = measure.breakdowns.answer;
  const promoters = answers?.promoters?.numerator;
  const detractors = answers?.detractors?.numerator;
  if (promoters === undefined || detractors === undefined) return undefined;
  const margin = netPromoterMargin(promoters, detractors, n);
  return {
    marginOfError: margin,
    intervalLow: Math.max(-100, value - margin),
    intervalHigh: Math.min(100, value + margin),
  };
}
