import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { parseConfig } from '../../functions/config/load.ts';
import { SourceError } from '../../functions/errors.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import { getJson } from '../../functions/ports/objectStore.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { curate } from '../../functions/stages/curate.ts';
import { extract, sourceTotals, stateKey, type SourceState } from '../../functions/stages/extract.ts';
import { registerCurated } from '../../functions/stages/lake.ts';

/**
 * "Look at the rejects, fix the mapping, run again" (docs/design.md, "Re-reading"), and the sources
 * that match nothing a user can read: an empty glob, a folder, an Excel workbook.
 */
const dir = path.resolve(import.meta.dirname, '../../.tmp/csv-reread');
const exports = path.join(dir, 'exports');
const open: StageContext[] = [];
let logged: string[];

async function context(source: Record<string, unknown>, options: { reextract?: boolean } = {}): Promise<StageContext> {
  const loaded = parseConfig(
    { timezone: 'UTC', lake: './lake', sources: [{ name: 'desk', type: 'csv', entity: 'tickets', ...source }] },
    path.join(dir, 'pulse.config.json'),
  );
  const ctx = await createLocalContext(loaded, parsePeriod('2026-10'), { quiet: true, ...options });
  ctx.log = (line) => void logged.push(line);
  open.push(ctx);
  return ctx;
}

const totals = async (ctx: StageContext) =>
  sourceTotals((await getJson<SourceState>(ctx.store, stateKey('desk', 'tickets')))!);

async function statuses(ctx: StageContext): Promise<string[]> {
  await registerCurated(ctx);
  return (await ctx.engine.query('select status from tickets order by id')).map((r) => String(r.status));
}

beforeEach(() => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(exports, { recursive: true });
  logged = [];
  writeFileSync(
    path.join(exports, 'tickets.csv'),
    [
      'id,created_at,updated_at,status',
      'T1,2026-10-01T09:00:00Z,2026-10-01T10:00:00Z,Resolved',
      'T2,2026-10-02T09:00:00Z,2026-10-02T10:00:00Z,In Progress',
      'T3,2026-10-03T09:00:00Z,2026-10-03T10:00:00Z,Resolved',
      '',
    ].join('\n'),
  );
});

afterEach(async () => {
  for (const ctx of open.splice(0)) await ctx.engine.close();
});

describe('fix the mapping, run again', () => {
  it('reads the file again when its mapping changes, and the counts replace the first read', async () => {
    // prepare: statuses the canonical model does not know
    const first = await context({ path: 'exports/tickets.csv' });
    await extract(first);
    await curate(first);
    expect(await totals(first)).toMatchObject({
      rowsRead: 3,
      rowsAccepted: 0,
      rowsRejected: 3,
      rejectedByReason: { unknown_value: 3 },
    });
    // act: the user maps the values and runs again
    const fixed = await context({
      path: 'exports/tickets.csv',
      values: { status: { Resolved: 'solved', 'In Progress': 'open' } },
    });
    await extract(fixed);
    await curate(fixed);
    // assess: read once more, counted once, and the curated tickets carry the mapped statuses
    expect(logged).toContain(
      "extract desk: exports/tickets.csv: read again, the source's mapping changed since it was last read",
    );
    expect(await totals(fixed)).toEqual({
      rowsRead: 3,
      rowsAccepted: 3,
      rowsRejected: 0,
      rejectedByReason: {},
      fieldIssues: {},
    });
    expect(await statuses(fixed)).toEqual(['solved', 'open', 'solved']);
    // The first read's rejects went with its counts: neither its NDJSON nor its CSV is left.
    expect(await fixed.store.list('rejects/')).toEqual([]);
    // Raw parts sit per entity, then source and ingest date (docs/design.md, storage layout).
    for (const key of await fixed.store.list('raw/'))
      expect(key).toMatch(/^raw\/tickets\/source=desk\/ingest_date=\d{4}-\d{2}-\d{2}\/[^/]+-\d{4}\.(csv|ndjson\.gz)$/);
    for (const key of await fixed.store.list('rejects/'))
      expect(key).toMatch(/^rejects\/tickets\/source=desk\/ingest_date=\d{4}-\d{2}-\d{2}\/[^/]+\.(ndjson\.gz|csv)$/);
  });

  it('a file read again before curate ran: only the latest read is validated, counted and curated', async () => {
    // prepare: read with no mapping, then, before any curate, with the mapping fixed
    await extract(await context({ path: 'exports/tickets.csv' }));
    const fixed = await context({
      path: 'exports/tickets.csv',
      values: { status: { Resolved: 'solved', 'In Progress': 'open' } },
    });
    await extract(fixed);
    logged = [];
    // act
    await curate(fixed);
    // assess: 3 rows read once (issue 21 saw "6 read" and 3 "older versions merged" from the stale read)
    expect(logged).toContain('curate desk (tickets): 3 read, 3 accepted, 0 rejected');
    expect(logged).toContain('curate tickets: 3 records, 0 older versions merged, months 1');
    expect(await totals(fixed)).toMatchObject({ rowsRead: 3, rowsAccepted: 3, rowsRejected: 0 });
    expect(await statuses(fixed)).toEqual(['solved', 'open', 'solved']);
    expect(await fixed.store.list('rejects/')).toEqual([]);
  });

  it('says which files it skipped as already read, and --reextract reads them again without counting twice', async () => {
    const mapping = { path: 'exports/tickets.csv', values: { status: { Resolved: 'solved', 'In Progress': 'open' } } };
    await extract(await context(mapping));
    logged = [];
    const again = await context(mapping);
    const [summary] = await extract(again);
    expect(summary!.rawKeys).toEqual([]);
    expect(logged).toContain(
      'extract desk: exports/tickets.csv: skipped, already read and unchanged (pulse run --reextract reads it again)',
    );
    const forced = await context(mapping, { reextract: true });
    const [reread] = await extract(forced);
    expect(reread!.rawKeys).toHaveLength(1);
    await curate(forced);
    expect(await totals(forced)).toMatchObject({ rowsRead: 3, rowsAccepted: 3 });
  });
});

describe('a source that matches nothing readable', () => {
  const failure = async (source: Record<string, unknown>) =>
    (await extract(await context(source)).catch((e: unknown) => e)) as Error;

  it('an empty glob is an error naming the source and its pattern', async () => {
    const error = await failure({ path: 'exports/*.tsv' });
    expect(error).toBeInstanceOf(SourceError);
    expect(error.message).toBe(
      `sources "desk": no file matches exports/*.tsv (resolved from ${dir}): check the path, or the export's name`,
    );
  });

  it('a folder says to give a file or a pattern', async () => {
    expect((await failure({ path: 'exports' })).message).toBe(
      'sources "desk": exports is a folder: give a file, or a pattern such as exports/*.csv',
    );
  });

  it('an Excel workbook says to export CSV', async () => {
    // The first bytes of every .xlsx: a zip's local file header.
    writeFileSync(
      path.join(exports, 'tickets.csv'),
      Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(60)]),
    );
    const error = await failure({ path: 'exports/tickets.csv' });
    expect(error.message).toMatch(
      /^sources "desk": exports\/tickets\.csv is an Excel workbook, not a CSV file: export it as CSV/,
    );
  });
});
