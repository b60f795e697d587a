import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AthenaEngine } from '../../functions/adapters/aws/athenaEngine.ts';
import { S3Store } from '../../functions/adapters/aws/s3Store.ts';
import { S3TableManifests, type TableManifests } from '../../functions/adapters/aws/tableManifests.ts';
import { serveAthenaForTests } from '../support/athenaLocal.ts';

/**
 * Commits on the S3 lake (docs/design.md, "Commits"), with the Athena stand-in reading the stack's
 * symlink tables over s3rver as Athena does: a month is read through its manifest alone, so a
 * write stopped after its UNLOAD and before its manifest put leaves the old month whole, a reader
 * during a write sees the old month whole, and the next run sweeps what the stopped write left.
 */
let services: Awaited<ReturnType<typeof serveAthenaForTests>> | undefined;
const lake = 's3://pulse-lake/';
const engines: AthenaEngine[] = [];

beforeAll(async () => {
  services = await serveAthenaForTests('athena-commits');
}, 120_000);

afterAll(async () => {
  for (const engine of engines) await engine.close();
  await services?.stop();
});

/** An Athena engine on the lake, its manifests those given (S3's by default). */
function athena(manifests: TableManifests = new S3TableManifests(lake)): AthenaEngine {
  const store = new S3Store(lake);
  const engine = new AthenaEngine({
    workGroup: 'pulse',
    database: 'pulse',
    lake,
    clearPrefix: (prefix) => store.deletePrefix(prefix),
    manifests,
    timings: { pollFirstMs: 10, pollMaxMs: 100 },
  });
  engines.push(engine);
  return engine;
}

/** Rows of tickets for a month, by id: `select 'T1' as id, 'M' as month union all …`. */
const ticketsSql = (month: string, ids: string[]) =>
  ids.map((id) => `select '${id}' as id, 'helpdesk' as source, '${month}' as month`).join(' union all ');

/** The ids an analyst's query through Athena sees in a month of tickets. */
async function idsIn(engine: AthenaEngine, month: string): Promise<string[]> {
  const rows = await engine.query(`select id from "pulse"."tickets" where month = '${month}' order by id`);
  return rows.map((r) => String(r.id));
}

/** The write prefixes a table's files lie under. */
async function writesOf(table: string): Promise<string[]> {
  const keys = await new S3Store(lake).list(table);
  return [...new Set(keys.map((k) => /^(.*?\/w=[0-9a-f]+\/)/.exec(k)?.[1] ?? k))].sort();
}

/** S3's manifests, stopping the first commit of a month as a kill between the UNLOAD and the put would. */
function stoppedBeforeCommit(): TableManifests & { stopped: number } {
  const s3Manifests = new S3TableManifests(lake);
  const manifests = {
    stopped: 0,
    readAll: (t: string) => s3Manifests.readAll(t),
    list: (p: string) => s3Manifests.list(p),
    copy: (f: string, t: string) => s3Manifests.copy(f, t),
    delete: (k: readonly string[]) => s3Manifests.delete(k),
    commit: async () => {
      manifests.stopped += 1;
      throw new Error('killed after the UNLOAD, before the manifest put');
    },
  };
  return manifests;
}

describe('commits of the S3 lake, read through the Athena stand-in', () => {
  it('a write stopped after its UNLOAD leaves the old month whole; the next run sweeps it and commits', async () => {
    // prepare: October holds T1 and T2, committed
    await athena().writeParquet(ticketsSql('2026-10', ['T1', 'T2']), 'curated/tickets/', {
      partitionByMonth: true,
      months: ['2026-10'],
    });
    const committed = await writesOf('curated/tickets/');
    // act: a rewrite of October, stopped once its UNLOAD has written and before its manifest is put
    const stopped = stoppedBeforeCommit();
    const failure = await athena(stopped)
      .writeParquet(ticketsSql('2026-10', ['T3', 'T4', 'T5']), 'curated/tickets/', {
        partitionByMonth: true,
        months: ['2026-10'],
      })
      .catch((e: unknown) => e);
    // assess: its files are there, and no reader sees them
    expect(stopped.stopped).toBe(1);
    expect((failure as Error).message).toMatch(/before the manifest put/);
    expect(await writesOf('curated/tickets/')).toHaveLength(2);
    expect(await idsIn(athena(), '2026-10')).toEqual(['T1', 'T2']);
    // act: the next run sweeps before it reads (curate does so), then writes October again
    const rerun = athena();
    const swept = await rerun.sweepWrites('curated/tickets/');
    const afterSweep = await writesOf('curated/tickets/');
    await rerun.writeParquet(ticketsSql('2026-10', ['T3', 'T4', 'T5']), 'curated/tickets/', {
      partitionByMonth: true,
      months: ['2026-10'],
    });
    // assess: the orphan went, the committed write stayed until the new one replaced it
    expect(swept).toMatch(/^curated\/tickets\/: removed 1 file\(s\) no manifest names/);
    expect(afterSweep).toEqual(committed);
    expect(await idsIn(athena(), '2026-10')).toEqual(['T3', 'T4', 'T5']);
    const [now] = await writesOf('curated/tickets/');
    expect(await writesOf('curated/tickets/')).toEqual([now]);
    expect(now).not.toBe(committed[0]);
  });

  it('a reader during a write sees the old month whole, then the new one', async () => {
    // prepare
    await athena().writeParquet(ticketsSql('2026-08', ['A1', 'A2', 'A3']), 'curated/tickets/', {
      partitionByMonth: true,
      months: ['2026-08'],
    });
    const analyst = athena();
    const seen: string[][] = [];
    const s3Manifests = new S3TableManifests(lake);
    // The analyst queries once the UNLOAD has written the new files, before and right after each put.
    const watched: TableManifests = {
      readAll: (t) => s3Manifests.readAll(t),
      list: (p) => s3Manifests.list(p),
      copy: (f, t) => s3Manifests.copy(f, t),
      delete: async (k) => {
        seen.push(await idsIn(analyst, '2026-08'));
        await s3Manifests.delete(k);
      },
      commit: async (table, month, keys, expected) => {
        seen.push(await idsIn(analyst, '2026-08'));
        await s3Manifests.commit(table, month, keys, expected);
      },
    };
    // act
    await athena(watched).writeParquet(ticketsSql('2026-08', ['B1', 'B2']), 'curated/tickets/', {
      partitionByMonth: true,
      months: ['2026-08'],
    });
    seen.push(await idsIn(analyst, '2026-08'));
    // assess: never empty, never a mix
    expect(seen).toEqual([
      ['A1', 'A2', 'A3'],
      ['B1', 'B2'],
      ['B1', 'B2'],
    ]);
    expect(await idsIn(analyst, '2026-10')).toEqual(['T3', 'T4', 'T5']);
  });

  it('commits a month a Pulse before the manifests wrote in place, so upgrading loses no month', async () => {
    // prepare: a month as the earlier engine left it, curated/<entity>/month=YYYY-MM/<file>, no manifest
    const engine = athena();
    await engine.writeParquet(
      `select * from (${ticketsSql('2025-01', ['L1', 'L2'])}) as t`,
      'curated/tickets/month=2025-01',
      {
        partitionByMonth: false,
      },
    );
    expect(await idsIn(engine, '2025-01')).toEqual([]);
    // act
    const swept = await engine.sweepWrites('curated/tickets/');
    // assess
    expect(swept).toBe('curated/tickets/: committed 1 month(s) written before manifests (2025-01)');
    expect(await idsIn(athena(), '2025-01')).toEqual(['L1', 'L2']);
    expect(await engine.sweepWrites('curated/tickets/')).toBeUndefined();
  });
});
