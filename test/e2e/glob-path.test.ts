import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DuckDbEngine } from '../../functions/adapters/local/duckdbEngine.ts';
import { runStages } from '../../functions/stages/index.ts';
import { registerCurated } from '../../functions/stages/lake.ts';
import { catalogRun, freshLake, kpisText, outboxCopies } from '../support/pipelineRun.ts';

/**
 * Paths are paths: a lake whose path holds glob characters ([1], *, ?, {c}) gives the same
 * kpis.json and the same copies as a plain one, because the lake path is escaped wherever it
 * reaches a glob (DuckDB's read_parquet over a table's parts, and the bench's count of the files
 * a query read).
 */
const root = path.resolve(import.meta.dirname, '../../.tmp/glob-path');
afterAll(() => freshLake(root));

async function run(lake: string) {
  const ctx = await catalogRun(freshLake(lake), { threads: 1 });
  await runStages(ctx);
  await registerCurated(ctx);
  const read = await (ctx.engine as DuckDbEngine).filesRead('select max(id) from tickets');
  await ctx.engine.close();
  return { kpis: kpisText(lake), copies: outboxCopies(lake), read: read.map((f) => path.relative(lake, f)) };
}

describe('a lake path with glob characters', () => {
  it('gives the kpis.json and the copies of a plain path', async () => {
    const plain = await run(path.join(root, 'plain', 'lake'));
    const globbed = path.join(root, 'x[1] a*b {c} d?', 'lake');
    const odd = await run(globbed);
    expect(existsSync(path.join(globbed, 'reports', '2026-10', 'kpis.json'))).toBe(true);
    expect(plain.kpis.length).toBeGreaterThan(10_000);
    expect(odd.kpis).toBe(plain.kpis);
    expect(odd.copies).toEqual(plain.copies);
    expect(Object.keys(plain.copies)).toHaveLength(3);
    expect(plain.read.length).toBeGreaterThan(0);
    expect(odd.read).toEqual(plain.read);
  });
});
