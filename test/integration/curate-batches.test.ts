import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { parseConfig } from '../../functions/config/load.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { curate } from '../../functions/stages/curate.ts';
import { monthBatches } from '../../functions/stages/monthBatches.ts';
import { extract } from '../../functions/stages/extract.ts';
import { registerCurated } from '../../functions/stages/lake.ts';

/**
 * Curate writes its months in batches (issue 22, bounded memory): a lake folded one month per
 * statement must hold exactly what one statement for every month writes, including a record whose
 * month moved between batches, a deleted one, and versions tied on updated_at.
 */
const root = path.resolve(import.meta.dirname, '../../.tmp/curate-batches');
const header = 'id,created_at,updated_at,status,channel,is_deleted';
const exportsOf = [
  [
    header,
    'A,2026-10-02T10:00:00Z,2026-10-02T10:00:00Z,open,email,false',
    'B,2026-09-10T10:00:00Z,2026-09-10T10:00:00Z,open,chat,false',
    'C,2026-08-10T10:00:00Z,2026-08-10T10:00:00Z,solved,web,false',
    'D,2026-08-11T10:00:00Z,2026-08-11T10:00:00Z,open,web,false',
    'D,2026-08-11T10:00:00Z,2026-08-12T10:00:00Z,solved,web,false',
    'E,2026-07-01T10:00:00Z,2026-07-01T10:00:00Z,open,chat,false',
  ],
  [
    header,
    // A's creation corrected from October into July: it leaves October's batch for July's.
    'A,2026-07-28T10:00:00Z,2026-10-20T10:00:00Z,open,email,false',
    'B,2026-09-10T10:00:00Z,2026-10-21T10:00:00Z,solved,chat,false',
    'E,2026-07-01T10:00:00Z,2026-10-22T10:00:00Z,open,chat,true',
    // Two versions of F at the same updated_at: the later row wins.
    'F,2026-06-05T10:00:00Z,2026-06-05T10:00:00Z,open,web,false',
    'F,2026-06-05T10:00:00Z,2026-06-05T10:00:00Z,pending,web,false',
  ],
];

const contexts: StageContext[] = [];
afterAll(async () => {
  for (const ctx of contexts) await ctx.engine.close();
  rmSync(root, { recursive: true, force: true });
});

/** Both exports extracted and curated one after the other into a lake of its own; the writes counted. */
async function lakeCurated(name: string, batchRows?: number): Promise<{ ctx: StageContext; writes: number }> {
  const dir = path.join(root, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'exports'), { recursive: true });
  const config = parseConfig(
    {
      timezone: 'UTC',
      lake: './lake',
      sources: [{ name: 'desk', type: 'csv', entity: 'tickets', path: 'exports/tickets-*.csv' }],
    },
    path.join(dir, 'pulse.config.json'),
  );
  const ctx = await createLocalContext(config, parsePeriod('2026-10'), { quiet: true });
  contexts.push(ctx);
  let writes = 0;
  const write = ctx.engine.writeParquet.bind(ctx.engine);
  ctx.engine.writeParquet = (...args) => {
    writes += 1;
    return write(...args);
  };
  for (const [i, lines] of exportsOf.entries()) {
    writeFileSync(path.join(dir, `exports/tickets-${i + 1}.csv`), `${lines.join('\n')}\n`);
    await extract(ctx);
    await curate(ctx, batchRows === undefined ? {} : { batchRows });
  }
  return { ctx, writes };
}

/** Every curated ticket, every column, and each month folder's files. */
async function contents(ctx: StageContext) {
  await registerCurated(ctx);
  const rows = await ctx.engine.query('select * from tickets order by id');
  const lake = ctx.store.locate('curated/tickets');
  const folders = readdirSync(lake)
    .filter((f) => f.startsWith('month='))
    .sort()
    .map((f) => `${f}: ${readdirSync(path.join(lake, f)).sort().join(',')}`);
  return { rows, folders };
}

describe('curate in month batches', () => {
  it('cuts the months into batches of at most the budget, a larger month alone', () => {
    const rows = new Map([
      ['2026-01', 300],
      ['2026-02', 300],
      ['2026-03', 900],
      ['2026-04', 100],
      ['2026-05', 100],
    ]);
    // 300 + 300 = 600 ≤ 600; 900 alone over it; 100 + 100 = 200.
    expect(monthBatches(['2026-05', '2026-01', '2026-02', '2026-03', '2026-04'], rows, 600)).toEqual([
      ['2026-01', '2026-02'],
      ['2026-03'],
      ['2026-04', '2026-05'],
    ]);
    expect(monthBatches(['2026-01', '2026-02'], rows, Number.POSITIVE_INFINITY)).toEqual([['2026-01', '2026-02']]);
  });

  it('writes one statement per month and leaves the lake as one statement for all months does', async () => {
    const whole = await lakeCurated('whole', Number.POSITIVE_INFINITY);
    const batched = await lakeCurated('batched', 1);
    // One write per curate in one statement; the first curate's months 2026-07..10 (4) and the
    // second's 2026-06, 07, 09, 10 (A left October, E and B changed) each alone.
    expect(whole.writes).toBe(2);
    expect(batched.writes).toBe(8);
    const expected = await contents(whole.ctx);
    expect(
      expected.rows.map((r) => ({ id: r.id, month: r.month, status: r.status, updated: String(r.updated_at) })),
    ).toEqual([
      { id: 'A', month: '2026-07', status: 'open', updated: '2026-10-20 10:00:00' },
      { id: 'B', month: '2026-09', status: 'solved', updated: '2026-10-21 10:00:00' },
      { id: 'C', month: '2026-08', status: 'solved', updated: '2026-08-10 10:00:00' },
      { id: 'D', month: '2026-08', status: 'solved', updated: '2026-08-12 10:00:00' },
      { id: 'F', month: '2026-06', status: 'pending', updated: '2026-06-05 10:00:00' },
    ]);
    expect(await contents(batched.ctx)).toEqual(expected);
  });
});
