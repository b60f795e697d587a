import { DateTime } from 'luxon';
import { lakeKeys } from '../model/lakeKeys.ts';
import { kpiMonthlyColumns as kpiMonthlyMartColumns } from '../model/marts.ts';
import { sourceEntities, type PulseConfig } from '../config/schema.ts';
import { readSql, renderSql, sqlString, type SqlValue } from '../dialect/sqlText.ts';
import { measureColumns, measureQueries, type MeasureQuery } from '../kpis/measure.ts';
import type { PeriodInfo } from '../kpis/types.ts';
import { entities } from '../model/index.ts';
import type { TableLocation } from '../ports/queryEngine.ts';
import type { StageContext } from './context.ts';
import { slicedViews, unsliced, type Slice } from './slice.ts';
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
  { name: 'agent_month', file: 'marts/agent_month.sql' },
  { name: 'customer_month', file: 'marts/customer_month.sql' },
  { name: 'retention_cohort', file: 'marts/retention_cohort.sql' },
  { name: 'order_month', file: 'marts/order_month.sql' },
] as const;

/** Every KPI with its breakdowns, month by month (the cohort triangle included): built from sql/kpis/. */
export const kpiMonthlyMart = 'kpi_monthly';
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
 * it is measured in (sliceKey; '' for the whole lake) and its month: the month given, or (null) the
 * query's own `period` column, for a query measuring each month as a period (perPeriod).
 */
export function kpiMonthlyRowsSql(query: MeasureQuery, sql: string, month: string | null, slice = ''): string {
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
  const monthColumn = month === null ? 'period' : renderSql('{{month}}', { month });
  return `select ${columns.join(', ')}, ${monthColumn} as month from (${sql}) as measured`;
}

/** Every KPI query of one month (params from sqlParams) as rows of one shape, for the kpi_monthly mart. */
export function kpiRowsSql(params: Record<string, SqlValue>, month: string, slice = ''): string {
  return measureQueries
    .map((query) => kpiMonthlyRowsSql(query, renderSql(readSql(query.file), params), month, slice))
    .join('\nunion all\n');
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
 * The marts under their names: the stored tables, or under a slice views computing each mart from
 * the slice's records (the stored marts hold every slice). kpi_monthly is the stored table either
 * way: it holds each configured slice's rows, told apart by its slice column (sliceKey).
 */
export async function registerMarts(ctx: StageContext, params: Record<string, SqlValue>, slice?: Slice): Promise<void> {
  const kpiMonthly = { prefix: lakeKeys.mart(kpiMonthlyMart), columns: kpiMonthlyColumns, partitioned: true };
  if (slice) {
    await registerMartViews(ctx, params);
    await ctx.engine.registerTables([{ name: kpiMonthlyMart, ...kpiMonthly }]);
    return;
  }
  await ctx.engine.registerTables([{ name: kpiMonthlyMart, ...kpiMonthly }, ...marts.map((m) => martTable(m, params))]);
}

/** A stored mart as a table (its SQL's shape, no rows, where none is written yet). */
export function martTable(mart: (typeof marts)[number], params: Record<string, SqlValue>): TableLocation {
  return {
    name: mart.name,
    prefix: lakeKeys.mart(mart.name),
    columns: [],
    partitioned: true,
    emptyAs: `select * from (${renderSql(readSql(mart.file), params)}) as empty_mart where false`,
  };
}

/** Each mart as a view computing it from the records registered (a slice's), not as the stored table. */
export async function registerMartViews(ctx: StageContext, params: Record<string, SqlValue>): Promise<void> {
  for (const mart of marts) await ctx.engine.createView(mart.name, renderSql(readSql(mart.file), params));
}

/** Everything evaluate and analysts query: curated entities, intermediate views, marts (of one slice, if given). */
export async function registerLake(ctx: StageContext, slice?: Slice): Promise<Record<string, SqlValue>> {
  const params = { ...sqlParams(ctx.config, ctx.period), ...sourceParams(ctx.config) };
  await registerCurated(ctx, slice);
  await registerIntermediate(ctx, params);
  await registerMarts(ctx, params, slice);
  return params;
}
