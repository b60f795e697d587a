import { mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { parseConfig } from '../../functions/config/load.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { curate } from '../../functions/stages/curate.ts';
import { extract, sourceTotals, stateKey, type SourceState } from '../../functions/stages/extract.ts';
import { getJson } from '../../functions/ports/objectStore.ts';
import { registerCurated } from '../../functions/stages/lake.ts';

/**
 * Curate folds each new export into curated/ month by month. A later export that moves a ticket
 * to another month (its created_at corrected) must take it out of the month it left, and an
 * update of an untouched month must not disturb the others.
 */
const dir = path.resolve(import.meta.dirname, '../../.tmp/incremental-curate');
const header = 'id,created_at,updated_at,status,channel';
let ctx: StageContext;

async function run(): Promise<void> {
  await extract(ctx);
  await curate(ctx);
}

async function curated(): Promise<{ id: string; month: string; status: string }[]> {
  await registerCurated(ctx);
  const rows = await ctx.engine.query('select id, month, status from tickets order by id');
  return rows.map((r) => ({ id: String(r.id), month: String(r.month), status: String(r.status) }));
}

beforeAll(async () => {
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
  ctx = await createLocalContext(config, parsePeriod('2026-10'), { quiet: true });
});

afterAll(async () => {
  await ctx.engine.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('incremental curate', () => {
  it('moves a ticket whose month changed and keeps every other month as it was', async () => {
    writeFileSync(
      path.join(dir, 'exports/tickets-1.csv'),
      [
        header,
        'A,2026-10-02T10:00:00Z,2026-10-02T10:00:00Z,open,email',
        'B,2026-09-10T10:00:00Z,2026-09-10T10:00:00Z,open,chat',
        'C,2026-08-10T10:00:00Z,2026-08-10T10:00:00Z,solved,web',
      ].join('\n'),
    );
    await run();
    expect(await curated()).toEqual([
      { id: 'A', month: '2026-10', status: 'open' },
      { id: 'B', month: '2026-09', status: 'open' },
      { id: 'C', month: '2026-08', status: 'solved' },
    ]);

    // The next export corrects A's creation into September and solves B.
    writeFileSync(
      path.join(dir, 'exports/tickets-2.csv'),
      [
        header,
        'A,2026-09-28T10:00:00Z,2026-10-20T10:00:00Z,open,email',
        'B,2026-09-10T10:00:00Z,2026-10-21T10:00:00Z,solved,chat',
      ].join('\n'),
    );
    await run();
    expect(await curated()).toEqual([
      { id: 'A', month: '2026-09', status: 'open' },
      { id: 'B', month: '2026-09', status: 'solved' },
      { id: 'C', month: '2026-08', status: 'solved' },
    ]);
  });

  it('does not read again an export written anew with the same content; reads one that changed', async () => {
    const file = path.join(dir, 'exports/tickets-2.csv');
    const same = readFileSync(file);
    writeFileSync(file, same);
    utimesSync(file, new Date('2026-11-20T00:00:00Z'), new Date('2026-11-20T00:00:00Z'));
    expect((await extract(ctx)).map((s) => s.rawKeys.length)).toEqual([0]);
    writeFileSync(file, `${same.toString().trimEnd()}\nD,2026-10-25T10:00:00Z,2026-10-25T10:00:00Z,open,email\n`);
    expect((await extract(ctx)).map((s) => s.rawKeys.length)).toEqual([1]);
    await curate(ctx);
    // The totals count each row of the source once: tickets-1 3 rows + tickets-2 as it is now 3,
    // not the 2 rows of tickets-2's earlier read on top.
    const state = await getJson<SourceState>(ctx.store, stateKey('desk', 'tickets'));
    expect(sourceTotals(state!)).toMatchObject({ rowsRead: 6, rowsAccepted: 6, rowsRejected: 0 });
  });

  it('curates months the old projection hid (before 2015, after this one), refuses one past it', async () => {
    const at = ctx.now;
    ctx.now = new Date('2026-11-02T06:00:00Z');
    try {
      // Before 2015, and the business month after the current UTC one: Athena sees both now.
      const hidden = [
        'E,2014-03-05T10:00:00Z,2014-03-05T10:00:00Z,solved,web',
        'F,2026-12-01T02:00:00Z,2026-12-01T02:00:00Z,open,web',
      ];
      writeFileSync(path.join(dir, 'exports/tickets-3.csv'), [header, ...hidden].join('\n'));
      await run();
      expect((await curated()).filter((r) => 'EF'.includes(r.id))).toEqual([
        { id: 'E', month: '2014-03', status: 'solved' },
        { id: 'F', month: '2026-12', status: 'open' },
      ]);
      // Before 1970 and more than ten years ahead, Athena would see nothing: curate writes nothing.
      const before = await curated();
      const outside = [
        'G,1969-12-31T10:00:00Z,1969-12-31T10:00:00Z,open,web',
        'H,2037-01-02T10:00:00Z,2037-01-02T10:00:00Z,open,web',
        'A,2026-09-28T10:00:00Z,2026-11-01T10:00:00Z,solved,email',
      ];
      writeFileSync(path.join(dir, 'exports/tickets-4.csv'), [header, ...outside].join('\n'));
      const refused = /rows fall in month\(s\) 1969-12, 2037-01, outside .* \(1970-01 to 2036-11\)/;
      await expect(run()).rejects.toThrow(refused);
      expect(await curated()).toEqual(before);
    } finally {
      ctx.now = at;
    }
  });
});
