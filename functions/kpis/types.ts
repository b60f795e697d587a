/** The shape of reports/<period>/kpis.json: a contract read by the renderers and by users' tooling. */
import type { MeasureKind } from './measure.ts';

/** `pp`: a difference of two ratios, held as a fraction (−0.003) and printed in percentage points (−0.3 pp). */
export type KpiUnit = 'seconds' | 'ratio' | 'pp' | 'count' | 'currency' | 'score';
export type KpiDirection = 'higher' | 'lower' | 'neutral';
export type KpiStatus = 'good' | 'warning' | 'critical' | 'none' | 'not_measured';
export type KpiFamily = 'volume' | 'speed' | 'effort' | 'orders' | 'ease' | 'agents' | 'customers' | 'cost';

export interface DurationStats {
  p50: number | null;
  p90: number | null;
  mean: number | null;
  n: number;
}

export interface RateStats {
  numerator: number;
  denominator: number;
  n: number;
  /** Survey KPIs: answers ÷ tickets solved. */
  responseRate?: number | null;
}

/**
 * A survey KPI's 95% margin of error (docs/rules.md, "Samples"): the Wilson score interval for a
 * ratio (CSAT), the standard error of the promoter − detractor share difference for NPS.
 */
export interface MarginStats {
  /** Half the interval's width, in the KPI's unit (a ratio for CSAT, points for NPS): the "± x" beside the value. */
  marginOfError: number;
  intervalLow: number;
  intervalHigh: number;
}

export type KpiStats = Partial<DurationStats> &
  Partial<RateStats> &
  Partial<MarginStats> &
  Record<string, number | null | undefined>;

/**
 * How many observations a rate or a score rests on. Below `definitions.minSample` the value is
 * shown with "n = 24, small sample" and takes no status colour (status 'none'), no drivers and no
 * explanation.
 */
export interface KpiSample {
  /** A rate's denominator (tickets, answers, orders), a score's answers; customers for revenue rates. */
  n: number;
  small: boolean;
}

/** One contributor to a KPI's change, from a mix/rate decomposition over one dimension. */
export interface Driver {
  dimension: string;
  member: string;
  /** This member's contribution to the change, in the KPI's unit; the effects sum to it. */
  effect: number;
  mixEffect: number;
  rateEffect: number;
  /**
   * effect ÷ total change when every effect of its dimension points the way of the change (the
   * shares then lie in 0–1 and add up to 1); null when effects offset, where a share says nothing.
   */
  share: number | null;
  previousWeight: number;
  currentWeight: number;
  /** A rate's or duration's member: its share of the dimension's weight, which its mix effect moves. */
  previousShare?: number;
  currentShare?: number;
  previousValue: number | null;
  currentValue: number | null;
}

export interface KpiHistoryPoint {
  month: string;
  value: number | null;
}

interface KpiBase {
  id: string;
  label: string;
  family: KpiFamily;
  unit: KpiUnit;
  direction: KpiDirection;
  description: string;
}

export interface MeasuredKpi extends KpiBase {
  value: number | null;
  status: Exclude<KpiStatus, 'not_measured'>;
  target: number | null;
  warning: number | null;
  critical: number | null;
  previous: number | null;
  /** value − previous. */
  change: number | null;
  /** (value − previous) ÷ |previous|. */
  changeRatio: number | null;
  lastYear: number | null;
  changeLastYear: number | null;
  stats: KpiStats;
  /** Present on every ratio and score KPI: its n, and whether it is below the minimum sample. */
  sample?: KpiSample;
  /** dimension → member → value (a duration's member holds its p50). */
  breakdowns: Record<string, Record<string, number | null>>;
  drivers: Driver[];
  /** One sentence with numbers saying why the KPI moved, or null when it moved within its threshold. */
  explanation: string | null;
  /** The last 13 months, oldest first, for sparklines. */
  history: KpiHistoryPoint[];
  notMeasured?: undefined;
}

export interface NotMeasuredKpi extends KpiBase {
  value: null;
  status: 'not_measured';
  /** Why there is no number: the input entities that are absent, or the config that is missing. */
  notMeasured: string;
}

export type KpiResult = MeasuredKpi | NotMeasuredKpi;

export interface SourceQuality {
  source: string;
  entity: string;
  rowsRead: number;
  rowsAccepted: number;
  rowsRejected: number;
  rejectedByReason: Record<string, number>;
  /** A full source: records its latest export no longer held, removed from the lake (absent: an incremental source). */
  removed?: number;
  /** Bad values in accepted rows, by field then reason; absent in reports written before they were counted. */
  fieldIssues?: Record<string, Record<string, number>>;
  lastExtractAt: string | null;
  /** Latest record timestamp seen (updated_at or the entity's own time column). */
  freshestRecordAt: string | null;
}

/** A time-bearing source whose freshest record is older than staleAfterDays before the period's end. */
export interface StaleSource {
  source: string;
  entity: string;
  freshestRecordAt: string | null;
  daysBeforePeriodEnd: number | null;
}

export interface DataQuality {
  sources: SourceQuality[];
  /** Sources judged stale for this period (docs/design.md, "What users touch": staleAfterDays). */
  stale?: StaleSource[];
  /** Records left out of time metrics in the period, by reason (reply_before_created, …). */
  excludedFromTimeMetrics: { total: number; byReason: Record<string, number> };
  /** Versions replaced by a later version of the same record when curating. */
  duplicatesMerged: number;
}

export interface WeekdayForecast {
  weekday: string;
  days: number;
  expectedPerDay: number;
  low: number;
  high: number;
}

export interface Forecast {
  month: string;
  method: string;
  expectedTickets: number;
  byWeekday: WeekdayForecast[];
  agentHoursNeeded: number | null;
  staffingBasis: string;
}

export interface PeriodInfo {
  id: string;
  label: string;
  /** First local day (inclusive), YYYY-MM-DD. */
  start: string;
  /** First local day after the period (exclusive), YYYY-MM-DD. */
  end: string;
  months: string[];
  /**
   * Present when the period had not ended when it was reported: it covers its start through this
   * local day (YYYY-MM-DD), and its comparisons the same number of days (docs/rules.md, "Status, change and drivers").
   */
  partial?: { through: string };
}

export interface KpiReport {
  period: PeriodInfo;
  /** Present on a sliced audience's own kpis.json: the slice its numbers come from. */
  slice?: Record<string, string>;
  generatedAt: string;
  timezone: string;
  currency: string;
  kpis: Record<string, KpiResult>;
  forecast: Forecast | null;
  dataQuality: DataQuality;
}

/** reports/<period>/queries.json: the SQL evaluate ran for the period, and the KPIs each query's rows held. */
export interface KpiQueries {
  /**
   * Each KPI query rendered for the period, with the kind of its rows and the KPIs they held: as
   * evaluate ran it, or as the marts stage ran it for the month when evaluate read its rows back
   * from kpi_monthly (`readFrom`).
   */
  queries: { file: string; kind: MeasureKind; sql: string; kpis: string[]; readFrom?: 'kpi_monthly' }[];
}
