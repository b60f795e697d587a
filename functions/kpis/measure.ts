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

/** Rows of the KPI queries (kpi, dimension, member, numerator/denominator or p50/p90/mean/n) → measures. */
export function toMeasurements(rows: Row[]): Measurements {
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
    const kpi = String(row.kpi);
    const dimension = String(row.dimension ?? '');
    let measure: MemberMeasure;
    if ('p50' in row) {
      measure = { value: num(row.p50), p50: num(row.p50), p90: num(row.p90), mean: num(row.mean), n: num(row.n) ?? 0 };
    } else {
      const numerator = num(row.numerator) ?? 0;
      const denominator = num(row.denominator);
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
  if (definition.unit === 'seconds')
    return { headline: { value: null, p50: null, p90: null, mean: null, n: 0 }, breakdowns: {} };
  return { headline: { value: null, numerator: 0, denominator: 0, n: 0 }, breakdowns: {} };
}
