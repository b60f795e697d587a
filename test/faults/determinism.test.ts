import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runStages } from '../../functions/stages/index.ts';
import { catalogRun, freshLake, kpisText, martRows } from '../support/pipelineRun.ts';

/**
 * The same inputs give byte-identical kpis.json (but generatedAt) and identical mart rows on
 * every run, whatever the number of DuckDB worker threads: one thread, four, and four again.
 */
const root = path.resolve(import.meta.dirname, '../../.tmp/determinism');
afterAll(() => freshLake(root));

async function run(name: string, threads: number) {
  const lake = freshLake(path.join(root, name));
  const ctx = await catalogRun(lake, { threads });
  await runStages(ctx, ['extract', 'curate', 'marts', 'evaluate']);
  const result = { kpis: kpisText(lake), marts: await martRows(ctx) };
  await ctx.engine.close();
  return result;
}

describe('determinism', () => {
  it('gives the same kpis.json and marts with 1 thread, 4 threads and 4 again', async () => {
    const one = await run('one', 1);
    const four = await run('four', 4);
    const again = await run('again', 4);
    expect(one.kpis.length).toBeGreaterThan(10_000);
    expect(Object.values(one.marts).reduce((n, rows) => n + rows.length, 0)).toBeGreaterThan(100);
    expect(four.kpis).toBe(one.kpis);
    expect(again.kpis).toBe(one.kpis);
    expect(four.marts).toEqual(one.marts);
    expect(again.marts).toEqual(one.marts);
  });
});
