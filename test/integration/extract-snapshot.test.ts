import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { parseConfig } from '../../functions/config/load.ts';
import type { CsvSourceConfig } from '../../functions/config/schema.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import { entityByName } from '../../functions/model/index.ts';
import { getJson } from '../../functions/ports/objectStore.ts';
import { CsvSource, type CsvWatermark } from '../../functions/sources/csv.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { curate } from '../../functions/stages/curate.ts';
import { extract, sourceTotals, stateKey, type SourceState } from '../../functions/stages/extract.ts';
import { registerCurated } from '../../functions/stages/lake.ts';

/**
 * Extract lands what it scanned (issue 23): it copies an export first, then scans and fingerprints
 * the copy, and lands that copy. An export its writer is still appending to never lands a row the
 * scan did not see, and one that changes while it is copied is copied again or left to the next run.
 */
const dir = path.resolve(import.meta.dirname, '../../.tmp/extract-snapshot');
const exportFile = path.join(dir, 'exports', 'tickets.csv');
const complete = [
  'id,created_at,updated_at,status',
  'T1,2026-10-01T09:00:00Z,2026-10-01T10:00:00Z,solved',
  'T2,2026-10-02T09:00:00Z,2026-10-02T10:00:00Z,open',
  'T3,2026-10-03T09:00:00Z,2026-10-03T10:00:00Z,solved',
  '',
].join('\n');
/** A fourth row as its writer leaves it half way, and the rest it writes later. */
const halfRow = 'T4,2026-10-04T09:00:00Z,2026-10-';
const restOfRow = '04T10:00:00Z,open\n';
const open: StageContext[] = [];
let logged: string[];

async function context(): Promise<StageContext> {
  const loaded = parseConfig(
    {
      timezone: 'UTC',
      lake: './lake',
      sources: [{ name: 'desk', type: 'csv', entity: 'tickets', path: 'exports/tickets.csv' }],
    },
    path.join(dir, 'pulse.config.json'),
  );
  const ctx = await createLocalContext(loaded, parsePeriod('2026-10'), { quiet: true });
  ctx.log = (line) => void logged.push(line);
  open.push(ctx);
  return ctx;
}

const sha256 = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');
const state = async (ctx: StageContext) => (await getJson<SourceState>(ctx.store, stateKey('desk', 'tickets')))!;

async function curatedIds(ctx: StageContext): Promise<string[]> {
  await registerCurated(ctx);
  return (await ctx.engine.query('select id from tickets order by id')).map((r) => String(r.id));
}

/** A CSV source whose export is appended to right after each of its first `times` copies. */
function appendingSource(ctx: StageContext, times: number): CsvSource {
  const config = ctx.config.sources[0] as CsvSourceConfig;
  let left = times;
  return new (class extends CsvSource {
    protected override async copy(from: string, to: string) {
      const copied = await super.copy(from, to);
      if (left-- > 0) appendFileSync(from, `T${9 - left},2026-10-05T09:00:00Z,2026-10-05T10:00:00Z,open\n`);
      return copied;
    }
  })(config, entityByName('tickets')!, dir, 'UTC');
}

beforeEach(() => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(exportFile), { recursive: true });
  writeFileSync(exportFile, complete);
  logged = [];
});

afterEach(async () => {
  for (const ctx of open.splice(0)) await ctx.engine.close();
});

describe('an export appended to while extract reads it', () => {
  it('lands the bytes it scanned, not the half row written after, and a later run reads the whole file', async () => {
    // prepare: the export's writer adds half a row while extract lands the file (after its scan)
    const ctx = await context();
    const putFile = ctx.store.putFile.bind(ctx.store);
    let appended = false;
    ctx.store.putFile = async (key, file) => {
      if (!appended) appendFileSync(exportFile, halfRow);
      appended = true;
      return putFile(key, file);
    };
    // act
    const [summary] = await extract(ctx);
    await curate(ctx);
    // assess: the landed part is the three-row file the scan saw, byte for byte, and so is the
    // fingerprint the watermark keeps; curate reads all 3 rows (on old main it failed on the half row)
    expect(summary!.rawKeys).toHaveLength(1);
    const landed = (await ctx.store.get(summary!.rawKeys[0]!))!;
    expect(landed.toString()).toBe(complete);
    const watermark = (await state(ctx)).watermark as CsvWatermark;
    expect(watermark.files['exports/tickets.csv']).toMatchObject({ size: complete.length, sha256: sha256(complete) });
    expect(sourceTotals(await state(ctx))).toMatchObject({ rowsRead: 3, rowsAccepted: 3, rowsRejected: 0 });
    expect(await curatedIds(ctx)).toEqual(['T1', 'T2', 'T3']);

    // act: the writer finishes its row; the next run reads the file again
    appendFileSync(exportFile, restOfRow);
    const next = await context();
    await extract(next);
    await curate(next);
    // assess: the completed file replaces the first read's counts (4 rows, not 3 + 4)
    expect(logged).toContain(
      'extract desk: exports/tickets.csv: read again, its content changed since it was last read',
    );
    expect(sourceTotals(await state(next))).toMatchObject({ rowsRead: 4, rowsAccepted: 4, rowsRejected: 0 });
    expect(await curatedIds(next)).toEqual(['T1', 'T2', 'T3', 'T4']);
  });

  it('an export that ends in a half row lands it as a reject, and the completed file replaces it', async () => {
    // prepare: the writer has paused half way through its fourth row
    appendFileSync(exportFile, halfRow);
    const ctx = await context();
    // act
    await extract(ctx);
    await curate(ctx);
    // assess: 4 rows read = 3 accepted + 1 rejected (the half row, short of columns); curate does not fail
    expect(sourceTotals(await state(ctx))).toMatchObject({
      rowsRead: 4,
      rowsAccepted: 3,
      rowsRejected: 1,
      rejectedByReason: { column_count: 1 },
    });
    appendFileSync(exportFile, restOfRow);
    const next = await context();
    await extract(next);
    await curate(next);
    // assess: read again whole: 4 read, 4 accepted, the reject gone with the first read's counts
    expect(sourceTotals(await state(next))).toEqual({
      rowsRead: 4,
      rowsAccepted: 4,
      rowsRejected: 0,
      rejectedByReason: {},
      fieldIssues: {},
    });
    expect(await curatedIds(next)).toEqual(['T1', 'T2', 'T3', 'T4']);
  });
});

describe('an export a real writer appends to while extract runs', () => {
  it('lands only what it fingerprinted, curate never fails, and the run after the writer reads it whole', async () => {
    // prepare: a child process appends rows in two writes each (so the file often ends in half a
    // row) for a second and a half, while extract and curate run
    const rows = Array.from({ length: 20_000 }, (_, i) => `B${i},2026-10-07T09:00:00Z,2026-10-07T10:00:00Z,open`);
    writeFileSync(exportFile, `${complete}${rows.join('\n')}\n`);
    const writer = spawn(process.execPath, [
      '-e',
      `const fs = require('node:fs'); const end = Date.now() + 1500; let i = 0;
       while (Date.now() < end) { fs.appendFileSync(process.argv[1], 'W' + i + ',2026-10-08T09:00:00Z,');
         fs.appendFileSync(process.argv[1], '2026-10-08T10:00:00Z,open\\n'); i += 1; }`,
      exportFile,
    ]);
    const exited = once(writer, 'exit');
    while (readFileSync(exportFile).length === complete.length + rows.join('\n').length + 1) await setTimeout(5);
    const ctx = await context();
    // act
    const [summary] = await extract(ctx);
    await curate(ctx);
    // assess: whatever landed is the very bytes the watermark fingerprinted
    const saved = await getJson<SourceState>(ctx.store, stateKey('desk', 'tickets'));
    const seen = (saved?.watermark as CsvWatermark | undefined)?.files['exports/tickets.csv'];
    for (const key of summary!.rawKeys) expect(sha256((await ctx.store.get(key))!)).toBe(seen?.sha256);
    await exited;
    // act: the writer is done; a plain run reads the whole file
    const next = await context();
    await extract(next);
    await curate(next);
    // assess: every line of the finished file is a row read and accepted, none rejected
    const lines = readFileSync(exportFile, 'utf8').trimEnd().split('\n').length - 1;
    expect(sourceTotals(await state(next))).toMatchObject({ rowsRead: lines, rowsAccepted: lines, rowsRejected: 0 });
  }, 60_000);
});

describe('an export that changes while it is copied', () => {
  it('is copied again, and what lands is the second, stable copy', async () => {
    // prepare: one row is appended right after the first copy, none after the second
    const ctx = await context();
    ctx.sources = [appendingSource(ctx, 1)];
    // act
    const [summary] = await extract(ctx);
    await curate(ctx);
    // assess: the landed part is the file with the appended row (T9), its fingerprint the same bytes
    const now = readFileSync(exportFile);
    expect((await ctx.store.get(summary!.rawKeys[0]!))!.equals(now)).toBe(true);
    const watermark = (await state(ctx)).watermark as CsvWatermark;
    expect(watermark.files['exports/tickets.csv']).toMatchObject({ size: now.length, sha256: sha256(now) });
    expect(await curatedIds(ctx)).toEqual(['T1', 'T2', 'T3', 'T9']);
  });

  it('is left to the next run, with its reason, when it changes at every copy', async () => {
    // prepare: a row appended after each of the 3 copies extract tries
    const ctx = await context();
    ctx.sources = [appendingSource(ctx, 3)];
    // act
    const [summary] = await extract(ctx);
    // assess: nothing landed, the file is not in the watermark, and the log says why
    expect(summary!.rawKeys).toEqual([]);
    expect(logged).toContain(
      'extract desk: exports/tickets.csv: not read, it changed while it was read (3 tries); the next run reads it',
    );
    const saved = await getJson<SourceState>(ctx.store, stateKey('desk', 'tickets'));
    expect((saved?.watermark as CsvWatermark | undefined)?.files ?? {}).toEqual({});
    // act: the writer is done; a plain run reads the file: 3 rows + the 3 appended (T7, T8, T9)
    const next = await context();
    await extract(next);
    await curate(next);
    expect(sourceTotals(await state(next))).toMatchObject({ rowsRead: 6, rowsAccepted: 6, rowsRejected: 0 });
    expect(await curatedIds(next)).toEqual(['T1', 'T2', 'T3', 'T7', 'T8', 'T9']);
  });
});
