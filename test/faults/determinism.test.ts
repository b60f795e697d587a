import { cpSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { loadConfig } from '../../functions/config/load.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import { runStages } from '../../functions/stages/index.ts';
import { writeLargeCatalog } from '../support/largeCatalog.ts';
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

  /**
   * At the golden catalog's size every sum is one thread's; a lake of several row groups per table
   * is summed by several threads in whatever order they finish. Money and hour sums are exact
   * (docs/design.md, "Exact sums"), so one curated lake gives the same bytes from marts and
   * evaluate run with one thread and with four.
   */
  it('gives byte-identical kpis.json and marts from a lake of several row groups, with 1 thread and 4', async () => {
    const config = writeLargeCatalog(path.join(root, 'large-sources'), {
      agents: 4_500,
      tickets: 125_000,
      costs: 125_000,
    });
    const context = async (lake: string, threads: number) => {
      const loaded = await loadConfig(config);
      loaded.config.lake = lake;
      return createLocalContext(loaded, parsePeriod('2026-10'), {
        quiet: true,
        now: new Date('2026-11-01T06:00:00Z'),
        threads,
      });
    };
    const curated = freshLake(path.join(root, 'large-one'));
    const first = await context(curated, 4);
    await runStages(first, ['extract', 'curate']);
    await first.engine.close();
    const copy = freshLake(path.join(root, 'large-four'));
    cpSync(curated, copy, { recursive: true });

    const outputs = [];
    for (const [lake, threads] of [
      [curated, 1],
      [copy, 4],
    ] as const) {
      const ctx = await context(lake, threads);
      await runStages(ctx, ['marts', 'evaluate']);
      outputs.push({ kpis: kpisText(lake), marts: JSON.stringify(await martRows(ctx)) });
      await ctx.engine.close();
    }
    const [one, four] = outputs;
    expect(one!.kpis).toContain('"solved_per_worked_hour"');
    expect(four!.kpis).toBe(one!.kpis);
    expect(four!.marts).toBe(one!.marts);
  }, 900_000);
});
