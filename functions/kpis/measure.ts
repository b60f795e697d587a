import type { Row } from '../ports/queryEngine.ts';
import { cutLabel } from '../report/html.ts';
import type { KpiDefinition } from './catalog.ts';

/** What the SQL measured for one member of one KPI (or its headline, dimension ''). */
export interface MemberMeasure {
  value: number | null;
  numerator?: number;
  denominator?: number | null;
  p50?: number | null;
  p90?: number | null;
  mean?: number | null;
  n?: number;
}

export interface KpiMeasure {
  headline: MemberMeasure;
  breakdowns: Record<string, Record<string, MemberMeasure>>;
}

export type Measurements = Map<string, KpiMeasure>;

/**
 * What a KPI query's row measures, said once so that no reader guesses it from a file name, a
 * column's presence or a null count (docs/design.md, KPI catalog): a duration row carries p50,
 * p90, mean and n in seconds; a ratio row a numerator and a denominator (null for a total).
 */
export type MeasureKind = 'duration' | 'ratio';

interface MeasureRowKey {
  kpi: string;
  dimension: string;
  member: unknown;
}

export interface DurationRow extends MeasureRowKey {
  kind: 'duration';
  p50: number | null;
  p90: number | null;
  mean: number | null;
  n: number | null;
}

export interface RatioRow extends MeasureRowKey {
  kind: 'ratio';
  numerator: number | null;
  denominator: number | null;
}

/** One row of a KPI query or of kpi_monthly: the one shape evaluate, the history and the analyst queries read. */
export type MeasureRow = DurationRow | RatioRow;

/** The measure columns a row of each kind has beside (kpi, dimension, member). */
export const measureColumns: Record<MeasureKind, readonly string[]> = {
  duration: ['p50', 'p90', 'mean', 'n'],
  ratio: ['numerator', 'denominator'],
};

/** A KPI query of sql/kpis/ and the kind of row it returns. */
export interface MeasureQuery {
  file: string;
  kind: MeasureKind;
  /**
   * Written over the periods relations (functions/stages/periodsSql.ts): it returns a `period`
   * column, so kpi_monthly measures every month in one statement. A query without it is still
   * rendered once per month.
   */
  perPeriod?: true;
}

/** The KPI queries of sql/kpis/, each with the kind of row it returns. */
export const measureQueries: readonly MeasureQuery[] = [
  { file: 'kpis/durations.sql', kind: 'duration', perPeriod: true },
  { file: 'kpis/ticket_rates.sql', kind: 'ratio', perPeriod: true },
  { file: 'kpis/ticket_status.sql', kind: 'ratio', perPeriod: true },
  { file: 'kpis/operations.sql', kind: 'ratio', perPeriod: true },
  { file: 'kpis/customers.sql', kind: 'ratio', perPeriod: true },
  { file: 'kpis/cost.sql', kind: 'ratio', perPeriod: true },
];

/** The kind of row a KPI of the catalog is measured by: a KPI in seconds is a duration. */
export const kpiKind = (definition: Pick<KpiDefinition, 'unit'>): MeasureKind =>
  definition.unit === 'seconds' ? 'duration' : 'ratio';

/** An engine's row as a measure row of the given kind: only that kind's columns are read. */
export function measureRow(kind: MeasureKind, row: Row): MeasureRow {
  const key = { kpi: String(row.kpi), dimension: String(row.dimension ?? ''), member: row.member };
  if (kind === 'duration')
    return { ...key, kind, p50: num(row.p50), p90: num(row.p90), mean: num(row.mean), n: num(row.n) };
  return { ...key, kind, numerator: num(row.numerator), denominator: num(row.denominator) };
}

/** A kpi_monthly row, read by the kind the SQL builder wrote beside it (functions/stages/lake.ts, kpiRowsSql). */
export function storedMeasureRow(row: Row): MeasureRow {
  if (row.kind !== 'duration' && row.kind !== 'ratio') throw new Error(`kpi_monthly row of no known kind: ${row.kind}`);
  return measureRow(row.kind, row);
}

/** The longest label kpis.json keeps from the data: the e-mail's (report/html.ts, cutLabel). */
const labelLength = 60;

const weekdayNames = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function memberName(dimension: string, member: unknown): string {
  const text = member === null || member === undefined ? 'unknown' : String(member);
  if (dimension === 'weekday') return weekdayNames[Number(text)] ?? text;
  return text;
}

/**
 * A member as kpis.json names it: a label from the data longer than the e-mail shows is cut as
 * the e-mail cuts it (docs/design.md: the whole value stays in the lake), so no cell can grow
 * kpis.json past 1 MB; two members cut alike are kept apart by a number.
 */
export function memberKey(members: Record<string, unknown>, name: string): string {
  const cut = [...name].length > labelLength ? cutLabel(name, labelLength) : name;
  if (cut === name || !(cut in members)) return cut;
  let n = 2;
  while (`${cut} (${n})` in members) n += 1;
  return `${cut} (${n})`;
}

/** Measure rows (of the KPI queries or kpi_monthly) → measures, each row read by its kind. */
export function toMeasurements(rows: readonly MeasureRow[]): Measurements {
  const result: Measurements = new Map();
  // The engine returns rows in no set order (parallel threads): sorted, the breakdowns are built
  // in one order on every run, so kpis.json is the same bytes. Members sort naturally (weekday 1-7,
  // days of the month 1-31, ISO dates and months).
  const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  const ordered = [...rows].sort(
    (a, b) =>
      text(a.kpi).localeCompare(text(b.kpi)) ||
      text(a.dimension).localeCompare(text(b.dimension)) ||
      text(a.member).localeCompare(text(b.member), 'en', { numeric: true }),
  );
  for (const row of ordered) {
    const { kpi, dimension } = row;
    let measure: MemberMeasure;
    if (row.kind === 'duration') {
      measure = { value: row.p50, p50: row.p50, p90: row.p90, mean: row.mean, n: row.n ?? 0 };
    } else {
      const numerator = row.numerator ?? 0;
      const denominator = row.denominator;
      const value = denominator === null ? numerator : denominator > 0 ? numerator / denominator : null;
      measure = { value, numerator, denominator, n: denominator ?? numerator };
    }
    const entry = result.get(kpi) ?? { headline: { value: null, n: 0 }, breakdowns: {} };
    if (dimension === '') entry.headline = measure;
    else {
      const members = (entry.breakdowns[dimension] ??= {});
      members[memberKey(members, memberName(dimension, row.member))] = measure;
    }
    result.set(kpi, entry);
  }
  return result;
}

/**
 * A KPI whose inputs have a source but had nothing in the period: a total is 0; a rate or a
 * duration has no value (n = 0). Never left out of kpis.json.
 */
export function emptyMeasure(definition: KpiDefinition): KpiMeasure {
  if (definition.sum) return { headline: { value: 0, numerator: 0, denominator: null, n: 0 }, breakdowns: {} };
  if (kpiKind(definition) === 'duration')
    return { headline: { value: null, p50: null, p90: null, mean: null, n: 0 }, breakdowns: {} };
  return { headline: { value: null, numerator: 0, denominator: 0, n: 0 }, breakdowns: {} };
}
