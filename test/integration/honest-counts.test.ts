import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { parseConfig } from '../../functions/config/load.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import { getJson } from '../../functions/ports/objectStore.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { curate, curateStateKey } from '../../functions/stages/curate.ts';
import { extract, sourceTotals, stateKey, type SourceState } from '../../functions/stages/extract.ts';

/**
 * Honest counts (issue 23): a file is known by its content, so a renamed export is not read twice;
 * an export read again replaces its earlier counts; "older versions merged" counts only versions
 * a later version of the same record replaced, never an export's earlier read.
 */
const dir = path.resolve(import.meta.dirname, '../../.tmp/honest-counts');
const header = 'id,created_at,updated_at,status';
const open: StageContext[] = [];
let logged: string[];

/** A plain run of extract and curate, on a context of its own (as `pulse run` is). */
async function run(): Promise<StageContext> {
  const loaded = parseConfig(
    {
      timezone: 'UTC',
      lake: './lake',
      sources: [{ name: 'desk', type: 'csv', entity: 'tickets', path: 'exports/tickets-*.csv' }],
    },
    path.join(dir, 'pulse.config.json'),
  );
  const ctx = await createLocalContext(loaded, parsePeriod('2026-10'), { quiet: true });
  ctx.log = (line) => void logged.push(line);
  open.push(ctx);
  await extract(ctx);
  await curate(ctx);
  return ctx;
}

const write = (name: string, rows: string[]) =>
  writeFileSync(path.join(dir, 'exports', name), [header, ...rows, ''].join('\n'));
const totals = async (ctx: StageContext) =>
  sourceTotals((await getJson<SourceState>(ctx.store, stateKey('desk', 'tickets')))!);
const merged = async (ctx: StageContext) =>
  (await getJson<{ rows: number; duplicatesMerged: number }>(ctx.store, curateStateKey('tickets')))!;

const t1 = 'T1,2026-10-01T09:00:00Z,2026-10-01T10:00:00Z,solved';
const t2 = 'T2,2026-10-02T09:00:00Z,2026-10-02T10:00:00Z,open';
const t2later = 'T2,2026-10-02T09:00:00Z,2026-10-05T10:00:00Z,solved';
const t3 = 'T3,2026-10-03T09:00:00Z,2026-10-03T10:00:00Z,solved';
const t4 = 'T4,2026-10-04T09:00:00Z,2026-10-04T10:00:00Z,open';

beforeEach(() => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'exports'), { recursive: true });
  logged = [];
});

afterEach(async () => {
  for (const ctx of open.splice(0)) await ctx.engine.close();
});

describe('honest counts', () => {
  it('a renamed export is known by its content: not read again, its rows not counted twice', async () => {
    write('tickets-a.csv', [t1, t2, t3]);
    await run();
    // act: the export is renamed
    renameSync(path.join(dir, 'exports/tickets-a.csv'), path.join(dir, 'exports/tickets-b.csv'));
    const ctx = await run();
    // assess: 3 rows read, not 3 + 3 = 6; 3 records from 3 versions, 0 merged (main: 6 read, 3 merged)
    expect(logged).toContain(
      'extract desk: exports/tickets-b.csv: skipped, the same content as exports/tickets-a.csv, already read',
    );
    expect(await totals(ctx)).toMatchObject({ rowsRead: 3, rowsAccepted: 3, rowsRejected: 0 });
    expect(await merged(ctx)).toMatchObject({ rows: 3, duplicatesMerged: 0 });
    // act: a third run finds it unchanged under its new name
    await run();
    expect(logged).toContain(
      'extract desk: exports/tickets-b.csv: skipped, already read and unchanged (pulse run --reextract reads it again)',
    );
  });

  it('an export read again replaces its counts, and only real duplicates count as merged', async () => {
    // run 1: tickets-1 holds T1, T2, T3: 3 versions, 3 records, 0 merged
    write('tickets-1.csv', [t1, t2, t3]);
    await run();
    // run 2: tickets-2 holds a later T2: versions 3 + 1 = 4, records 3, so 1 merged (T2's first version)
    write('tickets-2.csv', [t2later]);
    let ctx = await run();
    expect(await merged(ctx)).toMatchObject({ rows: 3, duplicatesMerged: 1 });
    expect(logged).toContain('curate tickets: 3 records, 1 older versions merged, months 1');
    // run 3: tickets-1 is written again with T4 added and read again. Its 4 rows replace its
    // earlier 3: versions counted 4 + 1 = 5, records 4 (T1, T2 later, T3, T4), so 5 − 4 = 1 merged,
    // still only T2's first version (main: 1 + 3 replaced + 4 accepted − 4 records = 4).
    write('tickets-1.csv', [t1, t2, t3, t4]);
    logged = [];
    ctx = await run();
    expect(logged).toContain('curate desk (tickets): 4 read, 4 accepted, 0 rejected');
    expect(logged).toContain('curate tickets: 4 records, 1 older versions merged, months 1');
    // rows read: tickets-1 4 + tickets-2 1 = 5, not 3 + 1 + 4 = 8
    expect(await totals(ctx)).toMatchObject({ rowsRead: 5, rowsAccepted: 5, rowsRejected: 0 });
    expect(await merged(ctx)).toMatchObject({ rows: 4, duplicatesMerged: 1 });
  });

  it('an export read again with a row rejected: rows read = accepted + rejected, nothing counted as merged', async () => {
    write('tickets-1.csv', [t1, t2, t3]);
    await run();
    // act: T3's time is broken in the next write of the export
    write('tickets-1.csv', [t1, t2, 'T3,not a time,2026-10-03T10:00:00Z,solved']);
    const ctx = await run();
    // assess: 3 read = 2 accepted + 1 rejected. The lake keeps T3's earlier version (incremental), so
    // 3 records. Merged: replaced 3 + accepted 2 − the earlier read's rows read again min(3, 2) = 2
    // − records 3 = 0 (main: 3 + 2 − 3 = 2, T1 and T2 counted as older versions of themselves).
    expect(await totals(ctx)).toMatchObject({ rowsRead: 3, rowsAccepted: 2, rowsRejected: 1 });
    expect(await merged(ctx)).toMatchObject({ rows: 3, duplicatesMerged: 0 });
  });
});
