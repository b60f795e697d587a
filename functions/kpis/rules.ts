import { defaultMinSample } from '../config/schema.ts';
import type { KpiDefinition } from './catalog.ts';
import { kpiKind, type KpiMeasure, type MemberMeasure } from './measure.ts';
import type { KpiHistoryPoint, KpiSample, KpiStats, KpiStatus, MeasuredKpi } from './types.ts';
import { marginOf, sampleSize } from './uncertainty.ts';

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
  if (kpiKind(definition) === 'duration')
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
  /** definitions.minSample: a rate or score on fewer observations takes no status. */
  minSample?: number;
  /** The headline of the KPI a money-denominated rate takes its n from (catalog `sampleOf`). */
  countedBy?: MemberMeasure | undefined;
}

/** A rate's or score's n, and whether it is below the minimum sample; undefined for other KPIs. */
export function sampleOf(
  definition: KpiDefinition,
  measure: KpiMeasure | undefined,
  minSample = defaultMinSample,
  countedBy?: MemberMeasure,
): KpiSample | undefined {
  const n = sampleSize(definition, measure?.headline, countedBy);
  return n === null ? undefined : { n, small: n < minSample };
}

/**
 * Applies the KPI rules to what the SQL measured: status, target, deltas, sample and margin of
 * error; drivers come after. A rate or score below the minimum sample has status 'none'.
 */
export function buildKpi(inputs: KpiInputs): MeasuredKpi {
  const { definition, current, thresholds } = inputs;
  const value = current.headline.value;
  const sample = sampleOf(definition, current, inputs.minSample, inputs.countedBy);
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
    status: sample?.small ? 'none' : statusOf(definition, value, thresholds),
    target: thresholds?.target ?? null,
    warning: thresholds?.warning ?? null,
    critical: thresholds?.critical ?? null,
    previous,
    change,
    changeRatio: change !== null && previous ? change / Math.abs(previous) : null,
    lastYear,
    changeLastYear: difference(value, lastYear),
    stats: {
      ...statsOf(definition, current),
      ...(sample ? { n: sample.n } : {}),
      ...marginOf(definition, current),
      ...(inputs.extraStats ?? {}),
    },
    ...(sample ? { sample } : {}),
    breakdowns,
    drivers: [],
    explanation: null,
    history: inputs.history,
  };
}
