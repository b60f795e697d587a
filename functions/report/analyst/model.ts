import { display, type Display, type DisplayChoices } from '../../kpis/format.ts';
import { kpiById, kpiCatalog, sideMeasures } from '../../kpis/catalog.ts';
import type { DataQuality, KpiQueries, KpiReport, KpiResult, KpiUnit, MeasuredKpi } from '../../kpis/types.ts';
import { marginNote, sampleNote } from '../sampleNotes.ts';
import { computedInTypeScript, queryOf, reproducingQuery, valueDerivation } from './queries.ts';

/** reports/<period>/queries.json (written by evaluate): its type lives with kpis.json's. */
export type { KpiQueries } from '../../kpis/types.ts';

export type KpiQuery = KpiQueries['queries'][number];

export interface MonthSpan {
  first: string;
  last: string;
  count: number;
}

/** One curated table or mart as the lake holds it when the report is rendered. */
export interface TableInventory {
  /** The name analysts query (Glue table in Athena, view in DuckDB). */
  table: string;
  layer: 'curated' | 'mart';
  rows: number;
  /** Rows in the report's months; null for a table that is not partitioned by month. */
  rowsInPeriod: number | null;
  /** The month partitions present; null when the table is not partitioned or holds none. */
  months: MonthSpan | null;
  /** The column the freshness is read from (updated_at, created_at, date, month…); null when none. */
  freshestColumn: string | null;
  /** Its newest value: an ISO instant (UTC) for a timestamp, YYYY-MM-DD for a date, YYYY-MM for a month. */
  freshest: string | null;
}

export interface LakeInventory {
  /** The report's months, which `rowsInPeriod` counts. */
  months: string[];
  tables: TableInventory[];
}

/** What the analyst report reads besides kpis.json (functions/stages/analystInputs.ts). */
export interface AnalystInputs {
  inventory: LakeInventory;
  /** null when evaluate wrote no queries.json for the period. */
  queries: KpiQueries | null;
}

/** How one KPI's number is reproduced. */
export type KpiTrace =
  | {
      kind: 'query';
      file: string;
      sql: string;
      /** false: the query returned no row for it this period. */ hasRows: boolean;
      /** kpi_monthly: the marts stage ran it for the month and evaluate read its rows back; null: evaluate ran it. */
      readFrom: 'kpi_monthly' | null;
    }
  | { kind: 'computed'; from: string; inputsSql: string | null }
  | { kind: 'not_measured'; reason: string }
  | { kind: 'unrecorded' };

export interface KpiEntry {
  id: string;
  label: string;
  unit: KpiUnit;
  value: number | null;
  /** The value as every report prints it. */
  shown: string;
  description: string;
  basis: string | null;
  trace: KpiTrace;
  /** One line: how the value follows from the query's columns. */
  derivation: string;
}

/** Rows beside the KPIs (CSAT response rate, records left out of time metrics, …). */
export interface SupportingEntry {
  id: string;
  note: string;
  file: string;
  sql: string;
}

export interface AnalystModel {
  /** Notices above everything else (a stale source). */
  banners: string[];
  subject: string;
  periodId: string;
  periodLabel: string;
  months: string[];
  generatedAt: string;
  timezone: string;
  currency: string;
  /** Numbers and codes in the config's locale and labels. */
  display: Display;
  /** A sliced audience's report: its values are the slice's, the queries the whole lake's. */
  slice: Record<string, string> | null;
  tables: TableInventory[];
  dataQuality: DataQuality;
  kpis: KpiEntry[];
  supporting: SupportingEntry[];
  queriesRecorded: boolean;
}

/** How a KPI is computed in TypeScript, when the catalog says it is (computedBy). */
function computationOf(id: string) {
  const by = kpiById(id)?.computedBy;
  return by ? computedInTypeScript[by] : undefined;
}

function traceOf(kpi: KpiResult, queries: KpiQueries | null, months: string[]): KpiTrace {
  if (kpi.status === 'not_measured') return { kind: 'not_measured', reason: kpi.notMeasured };
  const computed = computationOf(kpi.id);
  if (computed) return { kind: 'computed', from: computed.from, inputsSql: computed.inputsSql?.(months) ?? null };
  if (!queries) return { kind: 'unrecorded' };
  const found = queryOf(queries, kpi.id);
  if (!found) return { kind: 'unrecorded' };
  const { file, readFrom } = found.query;
  return {
    kind: 'query',
    file,
    sql: reproducingQuery(found.query, kpi.id),
    hasRows: found.hasRows,
    readFrom: readFrom ?? null,
  };
}

/** The value with its margin of error and, below the minimum sample, its n: "41.7 ± 28.1 (n = 24, small sample)". */
function shownValue(kpi: MeasuredKpi, report: KpiReport, shown: Display): string {
  const sample = sampleNote(kpi, report.slice !== undefined, shown);
  const margin = marginNote(kpi, shown);
  return `${shown.value(kpi.unit, kpi.value)}${margin ? ` ${margin}` : ''}${sample ? ` (${sample})` : ''}`;
}

/** The KPIs in catalog order (any others kpis.json holds after them), narrowed to the audience's. */
function kpiOrder(report: KpiReport, audience: { kpis?: string[] | undefined }): string[] {
  const known = kpiCatalog.map((d) => d.id);
  const ids = [
    ...known.filter((id) => id in report.kpis),
    ...Object.keys(report.kpis).filter((id) => !known.includes(id)),
  ];
  return audience.kpis ? ids.filter((id) => audience.kpis!.includes(id)) : ids;
}

export function analystModel(
  report: KpiReport,
  inputs: AnalystInputs,
  audience: { kpis?: string[] | undefined; banners?: string[] | undefined } & DisplayChoices,
): AnalystModel {
  const months = report.period.months;
  const shown = display({ currency: report.currency, locale: audience.locale, labels: audience.labels });
  const kpis = kpiOrder(report, audience).map((id): KpiEntry => {
    const kpi = report.kpis[id]!;
    const definition = kpiById(id);
    return {
      id,
      label: kpi.label,
      unit: kpi.unit,
      value: kpi.value,
      shown: kpi.status === 'not_measured' ? 'not measured' : shownValue(kpi, report, shown),
      description: kpi.description,
      basis: definition?.basis ?? null,
      trace: traceOf(kpi, inputs.queries, months),
      derivation: computationOf(id)?.derivation ?? valueDerivation(definition ?? { id, unit: kpi.unit }),
    };
  });
  const measured = new Set(kpis.filter((k) => k.trace.kind !== 'not_measured').map((k) => k.id));
  const supporting = inputs.queries
    ? sideMeasures.flatMap((s): SupportingEntry[] => {
        if (s.for !== 'always' && !s.for.some((id) => measured.has(id))) return [];
        const found = queryOf(inputs.queries!, s.id);
        return found
          ? [{ id: s.id, note: s.note, file: found.query.file, sql: reproducingQuery(found.query, s.id) }]
          : [];
      })
    : [];
  return {
    banners: audience.banners ?? [],
    subject: `Pulse data notes — ${report.period.label}`,
    periodId: report.period.id,
    periodLabel: report.period.label,
    months,
    generatedAt: report.generatedAt,
    timezone: report.timezone,
    currency: report.currency,
    display: shown,
    slice: report.slice ?? null,
    tables: inputs.inventory.tables,
    dataQuality: report.dataQuality,
    kpis,
    supporting,
    queriesRecorded: inputs.queries !== null,
  };
}
