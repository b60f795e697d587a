import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../../functions/adapters/aws/s3Store.ts';
import { S3TableManifests } from '../../functions/adapters/aws/tableManifests.ts';
import { getJson } from '../../functions/ports/objectStore.ts';
import { serveAthenaForTests } from '../support/athenaLocal.ts';

/**
 * A real kill inside an S3 lake's commit: `pulse run` on s3rver and the Athena stand-in, sent
 * SIGKILL at `manifest:curated/tickets/` (curate's fold copied into its write prefix, no month's
 * manifest put yet), then a plain run. The plain run sweeps the copies no manifest names, commits
 * the fold, and gives the kpis.json of a clean local run; every curated and mart file it leaves
 * is named by a manifest.
 */
const repo = path.resolve(import.meta.dirname, '../..');
const root = path.resolve(repo, '.tmp/s3-kill');
const fixture = path.resolve(repo, 'test/fixtures/golden');
const lake = 's3://pulse-lake/';
let services: Awaited<ReturnType<typeof serveAthenaForTests>> | undefined;

beforeAll(async () => {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  services = await serveAthenaForTests('s3-kill');
}, 120_000);

afterAll(async () => {
  await services?.stop();
  rmSync(root, { recursive: true, force: true });
});

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** `pulse run` on the golden tickets with the lake given, in a process of its own. */
async function pulse(lakeAt: string, env: Record<string, string> = {}): Promise<Exit> {
  const config = JSON.parse(readFileSync(path.join(fixture, 'pulse.config.json'), 'utf8')) as Record<string, unknown>;
  const file = path.join(root, `pulse.${lakeAt.startsWith('s3://') ? 's3' : 'local'}.config.json`);
  const sources = [{ name: 'helpdesk', type: 'csv', entity: 'tickets', path: path.join(fixture, 'tickets.csv') }];
  writeFileSync(file, JSON.stringify({ ...config, lake: lakeAt, sources, audiences: [] }));
  const child = spawn(
    process.execPath,
    [
      path.join(repo, 'bin/pulse.js'),
      'run',
      '--config',
      file,
      '--period',
      '2026-10',
      '--stages',
      'extract,curate,marts,evaluate',
    ],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { code, signal, stderr };
}

const untimed = (report: unknown) =>
  JSON.parse(JSON.stringify(report), (key, value: unknown) =>
    key === 'generatedAt' || key === 'lastExtractAt' ? '<time>' : value,
  ) as unknown;

describe('a kill inside an S3 commit, then a plain run', () => {
  it('sweeps what no manifest names, commits the fold, and gives the clean kpis.json', async () => {
    // prepare: the clean run, on a folder lake
    const local = path.join(root, 'lake');
    const clean = await pulse(local);
    expect(clean.code, clean.stderr).toBe(0);
    // act: killed between the fold's copies and its manifest, then run again
    const killed = await pulse(lake, { PULSE_FAULT: 'manifest:curated/tickets/' });
    const orphans = await new S3Store(lake).list('curated/tickets/');
    const committedBeforeRerun = await new S3Store(lake).list('_manifests/curated/tickets/');
    const rerun = await pulse(lake);
    // assess
    expect(killed.signal, `manifest:curated/tickets/ not reached:\n${killed.stderr}`).toBe('SIGKILL');
    expect(orphans.length).toBeGreaterThan(0);
    expect(committedBeforeRerun).toEqual([]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(
      new RegExp(`curate tickets: curated/tickets/: removed ${orphans.length} file\\(s\\) no manifest names`),
    );
    const cloud = await getJson<unknown>(new S3Store(lake), 'reports/2026-10/kpis.json');
    const onDisk = JSON.parse(readFileSync(path.join(local, 'reports/2026-10/kpis.json'), 'utf8')) as unknown;
    expect(untimed(cloud)).toEqual(untimed(onDisk));
    // Every curated and mart file is one a manifest names: nothing left behind.
    const manifests = new S3TableManifests(lake);
    const store = new S3Store(lake);
    for (const table of ['curated/tickets/', 'marts/kpi_monthly/', 'marts/tickets_created/']) {
      const named = [...(await manifests.readAll(table)).values()].flatMap((m) => m.keys).sort();
      expect(named.length, table).toBeGreaterThan(0);
      expect((await store.list(table)).sort(), table).toEqual(named);
    }
  }, 600_000);
});
