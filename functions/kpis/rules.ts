import type { KpiDefinition } from './catalog.ts';
import type { KpiMeasure } from './measure.ts';
import type { KpiHistoryPoint, KpiStats, KpiStatus, MeasuredKpi } from './types.ts';

export interface Thresholds {
  target?: number | undefined;
  warning?: number | undefined;
  critical?: number | undefined;
  explainAbove?: number | undefined;
}

/** True when `value` is at or past `limit` in the bad direction. */
function isAtOrWorse(direction: KpiDefinition['direction'], value: number, limit: number): boolean {
  return direction === 'higher' ? value <= limit : value >= limit;
}

/**
 * Status against the config: critical at or past `critical`; warning at or past `warning`, or
 * short of `target`; good otherwise; none when the KPI has no thresholds or no value.
 */
export function statusOf(
  definition: KpiDefinition,
  value: number | null,
  thresholds: Thresholds | undefined,
): Exclude<KpiStatus, 'not_measured'> {
  if (value === null || !thresholds || definition.direction === 'neutral') return 'none';
  const { target, warning, critical } = thresholds;
  if (target === undefined && warning === undefined && critical === undefined) return 'none';
  if (critical !== undefined && isAtOrWorse(definition.direction, value, critical)) return 'critical';
  if (warning !== undefined && isAtOrWorse(definition.direction, value, warning)) return 'warning';
  if (target !== undefined && value !== target && isAtOrWorse(definition.direction, value, target)) return 'warning';
  return 'good';
}

const difference = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);

function statsOf(definition: KpiDefinition, measure: KpiMeasure): KpiStats {
  const h = measure.headline;
  if (definition.unit === 'seconds')
    return { p50: h.p50 ?? null, p90: h.p90 ?? null, mean: h.mean ?? null, n: h.n ?? 0 };
  if (h.denominator === null || h.denominator === undefined) return { n: h.numerator ?? 0 };
  return { numerator: h.numerator ?? 0, denominator: h.denominator, n: h.denominator };
}

export interface KpiInputs {
  definition: KpiDefinition;
  current: KpiMeasure;
  previous: KpiMeasure | undefined;
  lastYear: KpiMeasure | undefined;
  history: KpiHistoryPoint[];
  thresholds: Thresholds | undefined;
  extraStats?: KpiStats;
}

/** Applies the KPI rules to what the SQL measured: status, target, deltas; drivers come after. */
export function buildKpi(inputs: KpiInputs): MeasuredKpi {
  const { definition, current, thresholds } = inputs;
  const value = current.headline.value;
  const previous = inputs.previous?.headline.value ?? null;
  const lastYear = inputs.lastYear?.headline.value ?? null;
  const change = difference(value, previous);
  const breakdowns: MeasuredKpi['breakdowns'] = {};
  for (const [dimension, members] of Object.entries(current.breakdowns)) {
    const names = Object.keys(members);
    if (dimension === 'month' && names.length <= 1) continue;
    if (names.length === 1 && names[0] === 'all') continue;
    breakdowns[dimension] = Object.fromEntries(Object.entries(members).map(([m, v]) => [m, v.value]));
  }
  return {
    id: definition.id,
    label: definition.label,
    family: definition.family,
    unit: definition.unit,
    direction: definition.direction,
    description: definition.description,
    value,
    status: statusOf(definition, value, thresholds),
    target: thresholds?.target ?? null,
    warning: thresholds?.warning ?? null,
    critical: thresholds?.critical ?? null,
    previous,
    change,
    changeRatio: change !== null && previous ? change / Math.abs(previous) : null,
    lastYear,
    changeLastYear: difference(value, lastYear),
    stats: { ...statsOf(definition, current), ...(inputs.extraStats ?? {}) },
    breakdowns,
    drivers: [],
    explanation: null,
    history: inputs.history,
  };
}
