import { ident, readSql, renderSql } from '../dialect/sqlText.ts';
import { lakeKeys } from '../model/lakeKeys.ts';
import { monthExpr } from '../dialect/staging.ts';
import { entities, type Entity } from '../model/index.ts';
import { getJson, putJson } from '../ports/objectStore.ts';
import type { StageContext } from './context.ts';

interface CurateState {
  /** Raw parts already folded into curated/. */
  rawKeys: string[];
  rows: number;
  duplicatesMerged: number;
}

export interface CurateSummary {
  entity: string;
  months: string[] | 'all';
  rows: number;
  duplicatesMerged: number;
}

/** Curate's own bookkeeping: `_curate` cannot be a source name (those start with a letter or digit). */
export const curateStateKey = lakeKeys.curateState;
export const curatedPrefix = lakeKeys.curated;

export function rawColumns(entity: Entity) {
  return [
    ...entity.columns.map((c) => ({ name: c.name, sqlType: c.sqlType })),
    { name: '_run', sqlType: 'varchar' },
    { name: '_seq', sqlType: 'bigint' },
  ];
}

async function curateEntity(ctx: StageContext, entity: Entity): Promise<CurateSummary | undefined> {
  const rawKeys = (await ctx.store.list(lakeKeys.rawEntityPrefix(entity.name))).filter((key) => key.endsWith('.ndjson.gz'));
  if (rawKeys.length === 0) return undefined;
  const state = (await getJson<CurateState>(ctx.store, curateStateKey(entity.name))) ?? { rawKeys: [], rows: 0, duplicatesMerged: 0 };
  const known = new Set(state.rawKeys);
  const newKeys = rawKeys.filter((k) => !known.has(k));
  if (newKeys.length === 0) return { entity: entity.name, months: [], rows: state.rows, duplicatesMerged: state.duplicatesMerged };

  const params = { timezone: ctx.config.timezone };
  await ctx.engine.registerRaw(`raw_${entity.name}`, rawKeys, rawColumns(entity));
  const staging = renderSql(readSql(`staging/stg_${entity.name}.sql`), params);
  const month = monthExpr(entity);
  let months: string[] | 'all' = 'all';
  if (month) {
    // Every month that holds a version of a record the new raw parts carry is rebuilt whole, so
    // late updates land, and a record whose month moved leaves its old month.
    await ctx.engine.registerRaw(`raw_${entity.name}_new`, newKeys, rawColumns(entity));
    // A key column may be null (a cost line without a team), hence IS NOT DISTINCT FROM.
    const sameKey = entity.key.map((k) => `r.${ident(k)} is not distinct from n.${ident(k)}`).join(' and ');
    const touched = await ctx.engine.query(
      renderSql(
        `select distinct ${month} as month from raw_${entity.name} as r
         where exists (select 1 from raw_${entity.name}_new as n where ${sameKey})
         order by 1`,
        params,
      ),
    );
    months = touched.map((r) => String(r.month));
    const monthList = renderSql('{{months}}', { months });
    await ctx.engine.writeParquet(`select * from (${staging}) as staged where month in ${monthList}`, curatedPrefix(entity.name), {
      partitionByMonth: true,
      months,
    });
  } else {
    await ctx.engine.writeParquet(staging, curatedPrefix(entity.name), { partitionByMonth: false });
  }
  const [counts] = await ctx.engine.query(
    `select (select count(*) from raw_${entity.name}) as versions, (select count(*) from (${staging}) as staged) as records`,
  );
  const rows = Number(counts?.records ?? 0);
  const next: CurateState = { rawKeys, rows, duplicatesMerged: Number(counts?.versions ?? 0) - rows };
  await putJson(ctx.store, curateStateKey(entity.name), next);
  return { entity: entity.name, months, rows, duplicatesMerged: next.duplicatesMerged };
}

/** curate: raw/ → deduplicated, typed Parquet under curated/<entity>/month=YYYY-MM/. */
export async function curate(ctx: StageContext): Promise<CurateSummary[]> {
  const summaries: CurateSummary[] = [];
  ctx.progress.start('curate', entities.length);
  for (const [i, entity] of entities.entries()) {
    const summary = await curateEntity(ctx, entity);
    if (summary) summaries.push(summary);
    ctx.progress.update(i + 1);
  }
  ctx.progress.stop();
  // Logged once the bar is gone, so the lines do not print over it on a terminal.
  for (const summary of summaries) {
    ctx.log(`curate ${summary.entity}: ${summary.rows} records, ${summary.duplicatesMerged} older versions merged, months ${Array.isArray(summary.months) ? summary.months.length : 'all'}`);
  }
  return summaries;
}
