import { DateTime } from 'luxon';
import type { PulseConfig } from '../config/schema.ts';
import { readSql, renderSql, type SqlValue } from '../dialect/sqlText.ts';
import type { PeriodInfo } from '../kpis/types.ts';
import { entities } from '../model/index.ts';
import type { StageContext } from './context.ts';

/** Views between curated/ and marts/: one purpose each (dbt's intermediate layer). */
export const intermediateViews = [{ name: 'int_tickets', file: 'intermediate/int_tickets.sql' }] as const;

/** Marts under marts/<name>/month=YYYY-MM/, in build order. */
export const marts = [
  { name: 'tickets_created', file: 'marts/tickets_created.sql' },
  { name: 'tickets_solved', file: 'marts/tickets_solved.sql' },
  { name: 'volume_daily', file: 'marts/volume_daily.sql' },
] as const;

/** The SQL placeholders' values: config definitions and the period's bounds. */
export function sqlParams(config: PulseConfig, period: PeriodInfo): Record<string, SqlValue> {
  const sla = config.definitions.sla;
  const endUtc = DateTime.fromISO(period.end, { zone: config.timezone }).toUTC();
  const startUtc = DateTime.fromISO(period.start, { zone: config.timezone }).toUTC();
  const firstDay = DateTime.fromISO(period.start, { zone: 'UTC' });
  const lastDay = DateTime.fromISO(period.end, { zone: 'UTC' }).minus({ days: 1 });
  const date = (d: DateTime) => ({ raw: `date '${d.toISODate()}'` });
  return {
    timezone: config.timezone,
    months: period.months,
    last_month: period.months[period.months.length - 1]!,
    previous_month: firstDay.minus({ months: 1 }).toFormat('yyyy-MM'),
    period_first_day: date(firstDay),
    period_last_day: date(lastDay),
    day_before_period: date(firstDay.minus({ days: 1 })),
    period_start: { raw: `timestamp '${startUtc.toFormat('yyyy-MM-dd HH:mm:ss')}'` },
    period_end: { raw: `timestamp '${endUtc.toFormat('yyyy-MM-dd HH:mm:ss')}'` },
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

/** Makes curated entities queryable by name; absent ones as empty tables with their columns. */
export async function registerCurated(ctx: StageContext): Promise<void> {
  await ctx.engine.registerTables(
    entities.map((e) => ({
      name: e.name,
      prefix: `curated/${e.name}/`,
      columns: e.columns.map((c) => ({ name: c.name, sqlType: c.sqlType })),
      partitioned: Boolean(e.monthOf),
    })),
  );
}

export async function registerIntermediate(ctx: StageContext, params: Record<string, SqlValue>): Promise<void> {
  for (const view of intermediateViews) {
    await ctx.engine.createView(view.name, renderSql(readSql(view.file), params));
  }
}

export async function registerMarts(ctx: StageContext, params: Record<string, SqlValue>): Promise<void> {
  await ctx.engine.registerTables(
    marts.map((m) => ({
      name: m.name,
      prefix: `marts/${m.name}/`,
      columns: [],
      partitioned: true,
      emptyAs: `select * from (${renderSql(readSql(m.file), params)}) as empty_mart where false`,
    })),
  );
}

/** Everything evaluate and analysts query: curated entities, intermediate views, marts. */
export async function registerLake(ctx: StageContext): Promise<Record<string, SqlValue>> {
  const params = sqlParams(ctx.config, ctx.period);
  await registerCurated(ctx);
  await registerIntermediate(ctx, params);
  await registerMarts(ctx, params);
  return params;
}
