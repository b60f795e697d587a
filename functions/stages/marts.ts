import { readSql, renderSql } from '../dialect/sqlText.ts';
import { lakeKeys } from '../model/lakeKeys.ts';
import type { StageContext } from './context.ts';
import { periodFromMonths } from '../kpis/period.ts';
import { entities } from '../model/index.ts';
import { kpiMonthlyMart, kpiRowsSql, martMonths, marts, registerCurated, registerIntermediate, registerMarts, sourceParams, sqlParams } from './lake.ts';

export interface MartSummary {
  mart: string;
}

/** Every month any curated entity has data for, up to the period's last month. */
async function kpiMonths(ctx: StageContext): Promise<string[]> {
  const last = ctx.period.months[ctx.period.months.length - 1]!;
  const union = entities
    .filter((e) => e.monthOf)
    .map((e) => `select distinct month from ${e.name}`)
    .join(' union ');
  const rows = await ctx.engine.query(`select distinct month from (${union}) as months where month <= '${last}' order by month`);
  return rows.map((r) => String(r.month));
}

/**
 * marts: curated/ → marts/<mart>/month=YYYY-MM/. Marts are rebuilt whole on every run: they are
 * small beside curated/, and a rebuild is what makes a re-run give the same tables.
 */
export async function buildMarts(ctx: StageContext): Promise<MartSummary[]> {
  const period = sqlParams(ctx.config, ctx.period);
  await registerCurated(ctx);
  await registerIntermediate(ctx, period);
  const months = await kpiMonths(ctx);
  // The calendar marts cover every month the lake has data for, as kpi_monthly does.
  const params = { ...period, mart_months: martMonths(months) };
  ctx.progress.start('marts', marts.length);
  for (const [i, mart] of marts.entries()) {
    await ctx.engine.writeParquet(renderSql(readSql(mart.file), params), lakeKeys.mart(mart.name), { partitionByMonth: true });
    ctx.progress.update(i + 1);
  }
  ctx.progress.stop();
  await registerMarts(ctx, params);
  ctx.progress.start('marts kpi_monthly', months.length);
  for (const [i, month] of months.entries()) {
    const monthParams = { ...sqlParams(ctx.config, periodFromMonths([month])), ...sourceParams(ctx.config) };
    await ctx.engine.writeParquet(kpiRowsSql(monthParams, month), lakeKeys.mart(kpiMonthlyMart), { partitionByMonth: true, months: [month] });
    ctx.progress.update(i + 1);
  }
  ctx.progress.stop();
  ctx.log(`marts: built ${marts.map((m) => m.name).join(', ')}, ${kpiMonthlyMart} (${months.length} months)`);
  return [...marts.map((m) => ({ mart: m.name })), { mart: kpiMonthlyMart }];
}
