import { ident, sqlLiteral } from '../dialect/sqlText.ts';
import { entities, type Entity } from '../model/index.ts';
import type { LakeInventory, TableInventory } from '../report/analyst/model.ts';
import type { StageContext } from './context.ts';
import { kpiMonthlyMart, marts, registerLake } from './lake.ts';

interface TableToCount {
  table: string;
  layer: TableInventory['layer'];
  partitioned: boolean;
  /** Columns whose newest value is the table's freshness, with their kind. */
  timeColumns: { name: string; kind: string }[];
}

/**
 * The columns a record's freshness is read from: its version (updated_at) and the column its
 * month comes from, as extract reads freshestRecordAt, so the two agree.
 */
function timeColumnsOf(entity: Entity): TableToCount['timeColumns'] {
  const names = [...new Set([entity.version, entity.monthOf].filter((n): n is string => Boolean(n)))];
  return names.map((name) => ({ name, kind: entity.columns.find((c) => c.name === name)?.kind ?? 'text' }));
}

/** An engine's text for a timestamp (DuckDB `2026-10-06 09:00:00`, Trino `… 09:00:00.000`) as an ISO instant. */
function normalised(value: unknown, kind: string): string | null {
  if (value === null || value === undefined) return null;
  const text = String(value);
  if (kind !== 'timestamp') return text;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)/.exec(text);
  const time = m ? Date.parse(`${m[1]}T${m[2]}Z`) : Number.NaN;
  return Number.isNaN(time) ? text : new Date(time).toISOString();
}

/** One cheap aggregate per table: count(*), min/max of month and of the time columns. */
function inventorySql(t: TableToCount, months: string[]): string {
  const measures = [
    'count(*) as row_count',
    ...(t.partitioned
      ? [
          `count_if(month in ${sqlLiteral(months)}) as rows_in_period`,
          'min(month) as first_month',
          'max(month) as last_month',
          'count(distinct month) as month_count',
        ]
      : []),
    ...t.timeColumns.map((c, i) => `cast(max(${ident(c.name)}) as varchar) as newest_${i}`),
  ];
  return `select ${measures.join(', ')} from ${ident(t.table)}`;
}

async function inventoryOf(ctx: StageContext, t: TableToCount): Promise<TableInventory> {
  const [row] = await ctx.engine.query(inventorySql(t, ctx.period.months));
  const count = Number(row?.month_count ?? 0);
  const months =
    t.partitioned && count > 0 ? { first: String(row!.first_month), last: String(row!.last_month), count } : null;
  let freshest: string | null = null;
  let freshestColumn: string | null = null;
  t.timeColumns.forEach((c, i) => {
    const value = normalised(row?.[`newest_${i}`], c.kind);
    if (value !== null && (freshest === null || value > freshest)) {
      freshest = value;
      freshestColumn = c.name;
    }
  });
  // A mart is as fresh as its newest month.
  if (t.layer === 'mart') {
    freshest = months?.last ?? null;
    freshestColumn = 'month';
  }
  return {
    table: t.table,
    layer: t.layer,
    rows: Number(row?.row_count ?? 0),
    rowsInPeriod: t.partitioned ? Number(row?.rows_in_period ?? 0) : null,
    months,
    freshestColumn,
    freshest,
  };
}

/**
 * Row counts, months present and freshness of every curated table and every mart (the marts
 * list of lake.ts, whatever it holds, and kpi_monthly), as analysts find them in the lake.
 */
export async function lakeInventory(ctx: StageContext): Promise<LakeInventory> {
  await registerLake(ctx);
  const toCount: TableToCount[] = [
    ...entities.map((e) => ({
      table: e.name,
      layer: 'curated' as const,
      partitioned: Boolean(e.monthOf),
      timeColumns: timeColumnsOf(e),
    })),
    ...[...marts.map((m) => m.name), kpiMonthlyMart].map((name) => ({
      table: name,
      layer: 'mart' as const,
      partitioned: true,
      timeColumns: [],
    })),
  ];
  const tables: TableInventory[] = [];
  for (const t of toCount) tables.push(await inventoryOf(ctx, t));
  return { months: ctx.period.months, tables };
}
