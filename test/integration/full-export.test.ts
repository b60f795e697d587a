import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { parseConfig } from '../../functions/config/load.ts';
import type { CsvSourceConfig } from '../../functions/config/schema.ts';
import { ConfigError } from '../../functions/errors.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { KpiReport } from '../../functions/kpis/types.ts';
import { entityByName } from '../../functions/model/index.ts';
import { lakeKeys } from '../../functions/model/lakeKeys.ts';
import { getJson } from '../../functions/ports/objectStore.ts';
import { CsvSource } from '../../functions/sources/csv.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { curate, curateStateKey, type MartsPending } from '../../functions/stages/curate.ts';
import { evaluate } from '../../functions/stages/evaluate.ts';
import { extract, sourceTotals, stateKey, type SourceState } from '../../functions/stages/extract.ts';
import { registerCurated } from '../../functions/stages/lake.ts';
import { buildMarts } from '../../functions/stages/marts.ts';

/**
 * A source in "full" mode (issue 23): each export is the whole truth, so the records of that source
 * a later export no longer holds are removed from the lake, and the log and the report say how many.
 * An incremental source (the default) keeps them. Another source's records are never touched.
 */
const dir = path.resolve(import.meta.dirname, '../../.tmp/full-export');
const header = 'id,created_at,updated_at,status';
const open: StageContext[] = [];
let logged: string[];

const t = (id: string, day: string) => `${id},${day}T09:00:00Z,${day}T10:00:00Z,open`;
/** desk's first export: T1–T4 created in October, T5 in August. */
const first = [
  t('T1', '2026-10-01'),
  t('T2', '2026-10-02'),
  t('T3', '2026-10-03'),
  t('T4', '2026-10-04'),
  t('T5', '2026-08-05'),
];
/** Its second export: T4 and T5 are gone from it. */
const second = first.slice(0, 3);

const write = (name: string, rows: string[]) =>
  writeFileSync(path.join(dir, 'exports', name), [header, ...rows, ''].join('\n'));

async function run(
  mode: string | undefined,
): Promise<{ ctx: StageContext; pending: MartsPending | undefined; report: KpiReport }> {
  const loaded = parseConfig(
    {
      timezone: 'UTC',
      lake: './lake',
      sources: [
        { name: 'desk', type: 'csv', entity: 'tickets', path: 'exports/desk.csv', ...(mode ? { mode } : {}) },
        { name: 'phone', type: 'csv', entity: 'tickets', path: 'exports/phone.csv' },
      ],
    },
    path.join(dir, 'pulse.config.json'),
  );
  const ctx = await createLocalContext(loaded, parsePeriod('2026-10'), {
    quiet: true,
    now: new Date('2026-11-02T06:00:00Z'),
  });
  ctx.log = (line) => void logged.push(line);
  open.push(ctx);
  await extract(ctx);
  await curate(ctx);
  const pending = await getJson<MartsPending>(ctx.store, lakeKeys.martsPending);
  await buildMarts(ctx);
  return { ctx, pending, report: await evaluate(ctx) };
}

async function ticketIds(ctx: StageContext): Promise<string[]> {
  await registerCurated(ctx);
  return (await ctx.engine.query('select id from tickets order by id')).map((r) => String(r.id));
}

const created = (report: KpiReport) => report.kpis.tickets_created!.value;

beforeEach(() => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'exports'), { recursive: true });
  // phone's one ticket, in October, and in August a ticket with the id desk drops (its record stays)
  write('phone.csv', [t('P1', '2026-10-06')]);
  logged = [];
});

afterEach(async () => {
  for (const ctx of open.splice(0)) await ctx.engine.close();
});

describe('a source in full mode', () => {
  it('removes the records its next export no longer holds, only its own, and says how many', async () => {
    write('desk.csv', first);
    const before = await run('full');
    // October: T1–T4 of desk + P1 of phone = 5 tickets created
    expect(created(before.report)).toBe(5);
    // act: desk's next export drops T4 (October) and T5 (August)
    write('desk.csv', second);
    logged = [];
    const { ctx, pending, report } = await run('full');
    // assess: the lake loses exactly T4 and T5; phone's P1 stays
    expect(await ticketIds(ctx)).toEqual(['P1', 'T1', 'T2', 'T3']);
    expect(logged).toContain(
      'curate desk (tickets): 3 read, 3 accepted, 0 rejected, 2 removed (no longer in its full export)',
    );
    // Months rebuilt: October (desk's rows) and August (T5's removal); the marts rebuild from August.
    expect(logged).toContain('curate tickets: 4 records, 0 older versions merged, months 2');
    expect(pending?.from).toBe('2026-08');
    // Counts: desk read 3 (its second export replaces the first's 5); records 5 + 1 − 2 = 4, and the
    // 2 removed versions are not "older versions merged": replaced 6 + accepted 3 − earlier read
    // min(5, 3) = 3 − removed 2 − records 4 = 0.
    expect(sourceTotals((await getJson<SourceState>(ctx.store, stateKey('desk', 'tickets')))!)).toMatchObject({
      rowsRead: 3,
      rowsAccepted: 3,
      rowsRejected: 0,
    });
    expect(await getJson(ctx.store, curateStateKey('tickets'))).toMatchObject({ rows: 4, duplicatesMerged: 0 });
    // KPI: October now holds T1–T3 + P1 = 4 tickets created (5 − T4)
    expect(created(report)).toBe(4);
    expect(report.dataQuality.sources.find((s) => s.source === 'desk')).toMatchObject({ rowsRead: 3, removed: 2 });
  });

  it('counts only real duplicates as merged, also when a torn lake is curated again from raw', async () => {
    // T1 twice in each export: an older and a later version (a real duplicate)
    const t1later = 'T1,2026-10-01T09:00:00Z,2026-10-09T10:00:00Z,solved';
    write('desk.csv', [...first, t1later]);
    await run('full');
    write('desk.csv', [...second, t1later]);
    const { ctx } = await run('full');
    // Run 1: 7 versions (desk 6, phone 1), 6 records: 1 merged. Run 2: replaced 6 (Oct T1–T4 and P1,
    // Aug T5) + accepted 4 − earlier read min(6, 4) = 4 − removed 2 − records 4 = 0: still 1.
    expect(await getJson(ctx.store, curateStateKey('tickets'))).toMatchObject({ rows: 4, duplicatesMerged: 1 });
    // act: a curated part is torn, so the next run curates tickets again from their raw parts
    writeFileSync(path.join(dir, 'lake/curated/tickets/month=2026-10/part_9.parquet'), '');
    const again = await run('full');
    expect(logged.some((line) => line.endsWith('tickets is curated again from its raw parts'))).toBe(true);
    // assess: the same lake and counts: desk's latest export (4 versions) + phone (1) = 5 versions,
    // 4 records, 1 merged; its read is not taken off as an earlier read of itself
    expect(await ticketIds(again.ctx)).toEqual(['P1', 'T1', 'T2', 'T3']);
    expect(await getJson(again.ctx.store, curateStateKey('tickets'))).toMatchObject({ rows: 4, duplicatesMerged: 1 });
  });

  it('an incremental source keeps the records its next export leaves out', async () => {
    write('desk.csv', first);
    await run(undefined);
    write('desk.csv', second);
    logged = [];
    const { ctx, report } = await run(undefined);
    // assess: nothing removed: T4 and T5 stay, October still counts 5 tickets created
    expect(await ticketIds(ctx)).toEqual(['P1', 'T1', 'T2', 'T3', 'T4', 'T5']);
    expect(logged).toContain('curate desk (tickets): 3 read, 3 accepted, 0 rejected');
    expect(created(report)).toBe(5);
    expect(report.dataQuality.sources.find((s) => s.source === 'desk')?.removed).toBeUndefined();
  });

  it('reads all its files again when one changes, and removes the records of a file that is gone', async () => {
    // prepare: desk's export comes in two files, read as one
    const loaded = (files: string) =>
      parseConfig(
        {
          timezone: 'UTC',
          lake: './lake',
          sources: [{ name: 'desk', type: 'csv', entity: 'tickets', path: files, mode: 'full' }],
        },
        path.join(dir, 'pulse.config.json'),
      );
    const runOnce = async () => {
      const ctx = await createLocalContext(loaded('exports/desk-*.csv'), parsePeriod('2026-10'), { quiet: true });
      ctx.log = (line) => void logged.push(line);
      open.push(ctx);
      await extract(ctx);
      await curate(ctx);
      return ctx;
    };
    write('desk-a.csv', first.slice(0, 2));
    write('desk-b.csv', first.slice(2));
    await runOnce();
    // act: desk-a changes (T1 only); desk-b is as it was, and is read again with it
    write('desk-a.csv', first.slice(0, 1));
    logged = [];
    let ctx = await runOnce();
    expect(logged).toContain('extract desk: exports/desk-b.csv: read with the rest of its full export, which changed');
    expect(await ticketIds(ctx)).toEqual(['T1', 'T3', 'T4', 'T5']);
    // act: desk-b is gone
    rmSync(path.join(dir, 'exports', 'desk-b.csv'));
    logged = [];
    ctx = await runOnce();
    // assess: its 3 records go, and its counts with them: 1 read (desk-a), not 1 + 3
    expect(await ticketIds(ctx)).toEqual(['T1']);
    expect(logged).toContain(
      'curate desk (tickets): 1 read, 1 accepted, 0 rejected, 3 removed (no longer in its full export)',
    );
    expect(sourceTotals((await getJson<SourceState>(ctx.store, stateKey('desk', 'tickets')))!)).toMatchObject({
      rowsRead: 1,
    });
  });

  it('lands none of its export while one of its files keeps changing, so it removes nothing', async () => {
    write('desk.csv', first);
    await run('full');
    // prepare: the next export drops T4 and T5, but its writer appends after every copy extract makes
    write('desk.csv', second);
    const loaded = parseConfig(
      {
        timezone: 'UTC',
        lake: './lake',
        sources: [{ name: 'desk', type: 'csv', entity: 'tickets', path: 'exports/desk.csv', mode: 'full' }],
      },
      path.join(dir, 'pulse.config.json'),
    );
    const ctx = await createLocalContext(loaded, parsePeriod('2026-10'), { quiet: true });
    ctx.log = (line) => void logged.push(line);
    open.push(ctx);
    let day = 10;
    ctx.sources = [
      new (class extends CsvSource {
        protected override async copy(from: string, to: string) {
          const copied = await super.copy(from, to);
          appendFileSync(from, `${t(`W${day}`, `2026-10-${day++}`)}\n`);
          return copied;
        }
      })(loaded.config.sources[0] as CsvSourceConfig, entityByName('tickets')!, dir, 'UTC'),
    ];
    logged = [];
    // act
    const [summary] = await extract(ctx);
    await curate(ctx);
    // assess: nothing landed, nothing removed: T4 and T5 are still there
    expect(summary!.rawKeys).toEqual([]);
    expect(logged).toContain(
      'extract desk: exports/desk.csv: not read, it changed while it was read (3 tries); the next run reads it, ' +
        'and the rest of its full export with it',
    );
    expect(await ticketIds(ctx)).toEqual(['P1', 'T1', 'T2', 'T3', 'T4', 'T5']);
  });

  it('is refused for an entity without a source column that another source also fills', () => {
    const config = {
      timezone: 'UTC',
      lake: './lake',
      sources: [
        { name: 'crm', type: 'csv', entity: 'customers', path: 'a.csv', mode: 'full' },
        { name: 'billing', type: 'csv', entity: 'customers', path: 'b.csv' },
      ],
    };
    expect(() => parseConfig(config, path.join(dir, 'pulse.config.json'))).toThrow(ConfigError);
    expect(() => parseConfig(config, path.join(dir, 'pulse.config.json'))).toThrow(
      /"full" needs crm to be the only source of customers/,
    );
  });
});
