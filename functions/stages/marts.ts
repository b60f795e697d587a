import { readSql, renderSql } from '../dialect/sqlText.ts';
import type { StageContext } from './context.ts';
import { marts, registerCurated, registerIntermediate, sqlParams } from './lake.ts';

export interface MartSummary {
  mart: string;
}

/**
 * marts: curated/ → marts/<mart>/month=YYYY-MM/. Marts are rebuilt whole on every run: they are
 * small beside curated/, and a rebuild is what makes a re-run give the same tables.
 */
export async function buildMarts(ctx: StageContext): Promise<MartSummary[]> {
  const params = sqlParams(ctx.config, ctx.period);
  await registerCurated(ctx);
  await registerIntermediate(ctx, params);
  ctx.progress.start('marts', marts.length);
  for (const [i, mart] of marts.entries()) {
    await ctx.engine.writeParquet(renderSql(readSql(mart.file), params), `marts/${mart.name}/`, { partitionByMonth: true });
    ctx.progress.update(i + 1);
  }
  ctx.progress.stop();
  ctx.log(`marts: built ${marts.map((m) => m.name).join(', ')}`);
  return marts.map((m) => ({ mart: m.name }));
}
