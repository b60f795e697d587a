import { DateTime } from 'luxon';
import { lakeKeys } from '../model/lakeKeys.ts';
import { kpiMonthlyColumns as kpiMonthlyMartColumns, kpiMonthlyMart, martTables } from '../model/marts.ts';
import { sourceEntities, type PulseConfig } from '../config/schema.ts';
import { ident, readSql, renderSql, sqlString, type SqlValue } from '../dialect/sqlText.ts';
import { measureColumns, measureQueries, type MeasureQuery } from '../kpis/measure.ts';
import type { PeriodInfo } from '../kpis/types.ts';
import { entities, type EntityName } from '../model/index.ts';
import type { TableLocation } from '../ports/queryEngine.ts';
import type { StageContext } from './context.ts';
import { absentUnderSlice, configuredSlices, sliceKey, slicedViews, unsliced, type Slice } from './slice.ts';
import { periodFromMonths } from '../kpis/period.ts';
import { periodRelations } from './periodsSql.ts';

/** Views between curated/ and marts/: one purpose each (dbt's intermediate layer). */
export const intermediateViews = [{ name: 'int_tickets', file: 'intermediate/int_tickets.sql' }] as const;

/**
 * Marts under marts/<name>/month=YYYY-MM/, in build order: a mart may read one built before it
 * (trc reads tickets_created through the intermediate model int_handle_load).
 */
export const marts = [
  { name: 'tickets_created', file: 'marts/tickets_created.sql' },
  { name: 'tickets_solved', file: 'marts/tickets_solved.sql' },
  { name: 'volume_daily', file: 'marts/volume_daily.sql' },
  { name: 'trc', file: 'marts/trc.sql' },
  { name: 'ticket_speed', file: 'marts/ticket_speed.sql' },
  { name: 'ticket_quality', file: 'marts/ticket_quality.sql' },
  { name: 'agent_month', file: 'marts/agent_month.sql', needs: ['agents', 'agent_time'] },
  { name: 'customer_month', file: 'marts/customer_month.sql' },
  { name: 'retention_cohort', file: 'marts/retention_cohort.sql' },
  { name: 'order_month', file: 'marts/order_month.sql' },
] as const;

export type Mart = (typeof marts)[number];

export { kpiMonthlyMart };
// Its columns are declared once, with the other marts' (functions/model/marts.ts), for Glue too.
const kpiMonthlyColumns = kpiMonthlyMartColumns.map(({ name, sqlType }) => ({ name, sqlType }));

/** The KPI queries of sql/kpis/, each returning (kpi, dimension, member, …) rows of one kind (measureQueries). */
export const kpiQueries = measureQueries.map((q) => q.file);

/** Entities some source provides: a KPI whose inputs are absent is notMeasured. */
export function presentEntities(config: PulseConfig): Set<string> {
  return new Set(config.sources.flatMap((s) => sourceEntities(s)));
}

/** Placeholders that depend on which sources exist (CSAT from surveys or ticket ratings, …). */
export function sourceParams(config: PulseConfig): Record<string, SqlValue> {
  const present = presentEntities(config);
  return { csat_from_surveys: present.has('surveys'), has_contacts: present.has('contacts') };
}

/**
 * One KPI query's rendered SQL as kpi_monthly rows: each row carries the kind of its query, which
 * is how every reader tells a duration from a ratio (storedMeasureRow), the query's file, the slice
 * it is measured in (sliceKey; '' for the whole lake) and its month: the query's own `period`
 * column, each month being measured as a period of its own (periodsParams).
 */
export function kpiMonthlyRowsSql(query: MeasureQuery, sql: string, slice = ''): string {
  const { file, kind } = query;
  const asDouble = (column: string) =>
    `cast(${measureColumns[kind].includes(column) ? column : 'null'} as double) as ${column}`;
  const columns = [
    'kpi',
    'dimension',
    'cast(member as varchar) as member',
    `${sqlString(kind)} as kind`,
    ...[...measureColumns.ratio, ...measureColumns.duration].map(asDouble),
    `${sqlString(file)} as query`,
    `${sqlString(slice)} as slice`,
  ];
  return `select ${columns.join(', ')}, period as month from (${sql}) as measured`;
}

/**
 * The months a mart that needs a calendar (customer_month, retention_cohort) is built for, as a
 * VALUES list of (month, day before it, its last day), valid in Trino and DuckDB. The marts
 * stage passes every month the lake has data for (a slice's too); a sliced evaluate, the period's own.
 */
export function martMonths(months: readonly string[]): { raw: string } {
  const rows = months.map((month) => {
    const first = DateTime.fromISO(`${month}-01`, { zone: 'UTC' });
    return `('${month}', date '${first.minus({ days: 1 }).toISODate()}', date '${first.plus({ months: 1 }).minus({ days: 1 }).toISODate()}')`;
  });
  return { raw: `(values ${rows.length > 0 ? rows.join(', ') : "('0000-00', date '0001-01-01', date '0001-01-01')"})` };
}

/**
 * The placeholders of a query measuring several periods at once (kpi_monthly: each month one
 * period): the periods relations, the config's definitions, and `months` and `last_month` spanning
 * them all, which a query keeps as a filter so that the engine reads only those months' partitions.
 * A single period's bounds are left out, so a query still written for one period fails to render.
 */
export function periodsParams(config: PulseConfig, periods: readonly PeriodInfo[]): Record<string, SqlValue> {
  const span = [...new Set(periods.flatMap((p) => p.months))].sort();
  const shared = sqlParams(config, periodFromMonths(span));
  for (const single of onePeriodParams) delete shared[single];
  return { ...shared, ...periodRelations(config.timezone, periods) };
}

/** The placeholders that bound one period, which a query over the periods relations reads from them instead. */
const onePeriodParams = [
  'mart_months',
  'previous_month',
  'period_first_day',
  'period_last_day',
  'day_before_period',
  'period_month_bounds',
  'period_start',
  'period_end',
];

/** The SQL placeholders' values: config definitions and the period's bounds. */
export function sqlParams(config: PulseConfig, period: PeriodInfo): Record<string, SqlValue> {
  const sla = config.definitions.sla;
  const endUtc = DateTime.fromISO(period.end, { zone: config.timezone }).toUTC();
  const startUtc = DateTime.fromISO(period.start, { zone: config.timezone }).toUTC();
  const firstDay = DateTime.fromISO(period.start, { zone: 'UTC' });
  const lastDay = DateTime.fromISO(period.end, { zone: 'UTC' }).minus({ days: 1 });
  const date = (d: DateTime) => ({ raw: `date '${d.toISODate()}'` });
  // Each month's first and last day as a VALUES list, valid in Trino and DuckDB: revenue is
  // summed month by month (`from {{period_month_bounds}} as period_months (first_day, last_day)`).
  const monthBounds = period.months.map((month) => {
    const first = DateTime.fromISO(`${month}-01`, { zone: 'UTC' });
    return `(date '${first.toISODate()}', date '${first.plus({ months: 1 }).minus({ days: 1 }).toISODate()}')`;
  });
  return {
    timezone: config.timezone,
    months: period.months,
    mart_months: martMonths(period.months),
    last_month: period.months[period.months.length - 1]!,
    previous_month: firstDay.minus({ months: 1 }).toFormat('yyyy-MM'),
    period_first_day: date(firstDay),
    period_last_day: date(lastDay),
    day_before_period: date(firstDay.minus({ days: 1 })),
    period_month_bounds: { raw: `(values ${monthBounds.join(', ')})` },
    period_start: { raw: `timestamp '${startUtc.toFormat('yyyy-MM-dd HH:mm:ss')}'` },
    period_end: { raw: `timestamp '${endUtc.toFormat('yyyy-MM-dd HH:mm:ss')}'` },
    // The period as the one row of the periods relations, for a query written over them (periodsSql.ts).
    ...periodRelations(config.timezone, [period]),
    complaint_categories: config.definitions.complaintCategories,
    service_level_seconds: config.definitions.serviceLevelSeconds,
    conversion_window_days: config.definitions.conversionWindowDays,
    promised_delivery_days: config.definitions.promisedDeliveryDays,
    sla_urgent_reply_hours: sla.urgent.firstReplyHours,
    sla_urgent_resolution_hours: sla.urgent.resolutionHours,
    sla_high_reply_hours: sla.high.firstReplyHours,
    sla_high_resolution_hours: sla.high.resolutionHours,
    sla_normal_reply_hours: sla.normal.firstReplyHours,
    sla_normal_resolution_hours: sla.normal.resolutionHours,
    sla_low_reply_hours: sla.low.firstReplyHours,
    sla_low_resolution_hours: sla.low.resolutionHours,
  };
}

/**
 * Makes curated entities queryable by name; absent ones as empty tables with their columns.
 * Under a slice, each name is a view holding only the slice's rows (functions/stages/slice.ts).
 */
export async function registerCurated(ctx: StageContext, slice?: Slice): Promise<void> {
  await ctx.engine.registerTables(
    entities.map((e) => ({
      name: slice ? unsliced(e.name) : e.name,
      prefix: lakeKeys.curated(e.name),
      columns: e.columns.map((c) => ({ name: c.name, sqlType: c.sqlType })),
      partitioned: Boolean(e.monthOf),
    })),
  );
  if (!slice) return;
  for (const view of slicedViews(slice)) {
    await ctx.engine.createView(view.entity, view.sql ?? `select * from ${unsliced(view.entity)} where false`);
  }
}

export async function registerIntermediate(ctx: StageContext, params: Record<string, SqlValue>): Promise<void> {
  for (const view of intermediateViews) {
    await ctx.engine.createView(view.name, renderSql(readSql(view.file), params));
  }
}

/**
 * The marts under their names, each standing for one slice's rows (sliceKey; '' for the whole
 * lake) as the KPI queries, evaluate and the reports read them: a view over the stored table
 * (storedMart) that keeps that slice's rows. A slice the config does not name has no stored
 * rows; its marts are computed from the slice's records (registerMartViews). kpi_monthly is the
 * stored table either way: it holds each configured slice's rows, told apart by its slice column.
 */
export async function registerMarts(ctx: StageContext, params: Record<string, SqlValue>, slice?: Slice): Promise<void> {
  await ctx.engine.registerTables([kpiMonthlyTable()]);
  if (slice && !configuredSlices(ctx.config.audiences).some((s) => s.key === sliceKey(slice))) {
    await registerMartViews(ctx, params);
    return;
  }
  await registerStoredMarts(ctx, marts, slice ? sliceKey(slice) : '');
}

/** kpi_monthly as stored: every slice's rows, told apart by its slice column. */
const kpiMonthlyTable = (): TableLocation => ({
  name: kpiMonthlyMart,
  prefix: lakeKeys.mart(kpiMonthlyMart),
  columns: kpiMonthlyColumns,
  partitioned: true,
});

/** The given marts under their names as one slice's rows of the stored tables (registerMarts), in one statement. */
export async function registerStoredMarts(ctx: StageContext, which: readonly Mart[], slice = ''): Promise<void> {
  if (which.length === 0) return;
  await ctx.engine.registerTables(
    which.map((m) => ({ ...martTable(m), rows: { columns: martColumnsOf(m), where: `slice = ${sqlString(slice)}` } })),
  );
}

/**
 * The marts as the catalog defines them (infra/lakeStack.ts): each name the stored table, every
 * slice's rows with their slice column, as analysts query them in Athena (`pulse query`).
 */
export async function registerCatalogMarts(ctx: StageContext): Promise<void> {
  await ctx.engine.registerTables([kpiMonthlyTable(), ...marts.map((m) => martTable(m))]);
}

/** A mart's columns as stored, in order, the slice and the month partition left out (functions/model/marts.ts). */
function martColumnsOf(mart: Mart): string[] {
  return declaredColumnsOf(mart)
    .map((c) => c.name)
    .filter((c) => c !== 'slice');
}

function declaredColumnsOf(mart: Mart): readonly { name: string; sqlType: string }[] {
  const table = martTables.find((t) => t.name === mart.name);
  if (!table) throw new Error(`the mart ${mart.name} has no declared columns (functions/model/marts.ts)`);
  return table.columns;
}

/**
 * The rows of a mart to write, for one slice ('' for the whole lake): its SQL's rows, rendered
 * over the records registered (the slice's), each tagged with the slice, the month last (the
 * partition column of a write is the SELECT's last).
 */
export function martRowsSql(mart: Mart, sql: string, slice = ''): string {
  const columns = martColumnsOf(mart).map(ident).join(', ');
  return `select ${columns}, ${sqlString(slice)} as slice, month from (${sql}) as mart_rows`;
}

/**
 * One slice's rows of a mart as the catalog holds it (every slice's rows: registerCatalogMarts),
 * as the mart's SQL gives them: its columns, the month last.
 */
export function martSliceSql(mart: Mart, slice = ''): string {
  const columns = martColumnsOf(mart).map(ident).join(', ');
  return `select ${columns}, month from ${mart.name} where slice = ${sqlString(slice)}`;
}

/**
 * Whether a slice leaves a mart without rows: when an entity the mart's rows stand for (its
 * `needs`) is absent under the slice (absentUnderSlice), the mart has no rows of that slice
 * rather than rows made from what is left (agent_month under a channel: agents cannot be sliced
 * by channel, so no agent has a team or hours in it). The other marts read an absent entity as
 * no rows, so what they hold of the slice is measured from its records alone.
 */
export function martAbsentUnder(mart: Mart, slice: Slice): string | undefined {
  const absent = absentUnderSlice(slice);
  const needs: readonly EntityName[] = 'needs' in mart ? mart.needs : [];
  const missing = needs.filter((e) => absent.has(e));
  return missing.length > 0 ? missing.map((e) => absent.get(e)).join('; ') : undefined;
}

/**
 * A stored mart as a table, every slice's rows; where none is written yet, no rows in its declared
 * columns (which test/sql/mart-columns.test.ts holds to what its SQL writes).
 */
export function martTable(mart: Mart): TableLocation {
  const empty = declaredColumnsOf(mart).map((c) => `cast(null as ${c.sqlType}) as ${ident(c.name)}`);
  return {
    name: mart.name,
    prefix: lakeKeys.mart(mart.name),
    columns: [],
    partitioned: true,
    emptyAs: `select ${empty.join(', ')}, cast(null as varchar) as month where false`,
  };
}

/** Each mart as a view computing it from the records registered (a slice's), not as the stored table. */
export async function registerMartViews(ctx: StageContext, params: Record<string, SqlValue>): Promise<void> {
  for (const mart of marts) await ctx.engine.createView(mart.name, renderSql(readSql(mart.file), params));
}

/**
 * Everything evaluate and analysts query: curated entities, intermediate views, marts (of one
 * slice, if given). `catalog`: the marts as the Glue catalog defines them, every slice's rows
 * (registerCatalogMarts), for SQL that runs on Athena unchanged.
 */
export async function registerLake(
  ctx: StageContext,
  slice?: Slice,
  options: { catalog?: boolean } = {},
): Promise<Record<string, SqlValue>> {
  const params = { ...sqlParams(ctx.config, ctx.period), ...sourceParams(ctx.config) };
  await registerCurated(ctx, slice);
  await registerIntermediate(ctx, params);
  if (options.catalog) await registerCatalogMarts(ctx);
  else await registerMarts(ctx, params, slice);
  return params;
}
