import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  closeSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { loadConfig } from '../../functions/config/load.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import { entities } from '../../functions/model/index.ts';
import { registerCurated } from '../../functions/stages/lake.ts';
import { kpisUntimed, martRows, outboxCopies } from '../support/pipelineRun.ts';

/**
 * Kills and a full disk INSIDE the lake's writes, on an incremental lake: a first export curated
 * and built into marts, then a second one carrying later versions of tickets already curated (so
 * curate rewrites months that hold rows) and new ones. Each scenario runs the real CLI
 * (bin/pulse.js) on that lake, stops it at a named point inside a write (functions/runtime/
 * faultPoint.ts), then runs it again plainly: the lake must then hold what a clean run's holds
 * (curated rows, marts, curate's bookkeeping, the keys), kpis.json but its times must be the
 * same, and each recipient must have one copy.
 */
const repo = path.resolve(import.meta.dirname, '../..');
const root = path.resolve(repo, '.tmp/torn-writes');
const catalog = path.join(repo, 'test/fixtures/golden-catalog');
const template = path.join(root, 'template');
const header = [
  'id,created_at,first_response_at,solved_at,status,channel,category,priority',
  'assignee_id,team,customer_id,handle_seconds,agent_replies,updated_at',
].join(',');

/** Twelve tickets in each of August, September and October 2026, open or solved, with the catalog's four. */
function firstExport(): string {
  const rows = readFileSync(path.join(catalog, 'tickets.csv'), 'utf8').trim().split('\n').slice(1);
  for (const [m, month] of ['08', '09', '10'].entries())
    for (let i = 1; i <= 12; i++) {
      const id = `G${m}${String(i).padStart(2, '0')}`;
      const day = `2026-${month}-${String(i + 2).padStart(2, '0')}`;
      const solved = i % 2 === 0;
      rows.push(
        [
          id,
          `${day}T08:00:00Z`,
          `${day}T09:00:00Z`,
          solved ? `${day}T15:00:00Z` : '',
          solved ? 'solved' : 'open',
          ['email', 'chat', 'phone'][i % 3],
          'billing',
          'normal',
          i % 2 ? 'a1' : 'b1',
          i % 2 ? 'alpha' : 'beta',
          `c${(i % 3) + 1}`,
          600,
          1,
          solved ? `${day}T15:00:00Z` : `${day}T09:00:00Z`,
        ].join(','),
      );
    }
  return `${[header, ...rows].join('\n')}\n`;
}

/**
 * Later versions of every open ticket of the first export (solved on 28 October), one of them
 * moved from August into September (its creation corrected), and two new October tickets.
 */
function secondExport(): string {
  const rows: string[] = [];
  for (const [m, month] of ['08', '09', '10'].entries())
    for (let i = 1; i <= 12; i += 2) {
      const created = m === 0 && i === 1 ? '2026-09-01' : `2026-${month}-${String(i + 2).padStart(2, '0')}`;
      rows.push(
        [
          `G${m}${String(i).padStart(2, '0')}`,
          `${created}T08:00:00Z`,
          `${created}T09:00:00Z`,
          '2026-10-28T12:00:00Z',
          'solved',
          'email',
          'billing',
          'normal',
          'a1',
          'alpha',
          'c1',
          900,
          2,
          '2026-10-28T12:00:00Z',
        ].join(','),
      );
    }
  rows.push(
    'K3,2026-10-06T09:00:00Z,2026-10-07T09:00:00Z,2026-10-08T09:00:00Z,solved,phone,account,normal,' +
      'b1,beta,c3,1500,1,2026-10-08T09:00:00Z',
    'N1,2026-10-29T08:00:00Z,,,open,web,technical,normal,b1,beta,c2,0,0,2026-10-29T08:00:00Z',
    'N2,2026-10-30T08:00:00Z,2026-10-30T09:00:00Z,2026-10-30T10:00:00Z,solved,chat,account,normal,' +
      'a1,alpha,c1,300,1,2026-10-30T10:00:00Z',
  );
  return `${[header, ...rows].join('\n')}\n`;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** `pulse run` on a scenario's folder, as its own process, with the fault-point environment given. */
function pulse(dir: string, env: Record<string, string> = {}) {
  const child = spawn(
    process.execPath,
    [path.join(repo, 'bin/pulse.js'), 'run', '--config', path.join(dir, 'pulse.config.json'), '--period', '2026-10'],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  const exited = once(child, 'exit').then(([code, signal]): Exit => ({ code, signal, stderr }));
  return { child, exited };
}

/** A scenario's folder: the template (first export curated and built) with the second export beside it. */
function scenario(name: string): string {
  const dir = path.join(root, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(template, dir, { recursive: true, preserveTimestamps: true });
  writeFileSync(path.join(dir, 'exports/tickets-2.csv'), secondExport());
  return dir;
}

/** Run ids and landing days masked: they differ from run to run. */
const masked = (key: string) =>
  key.replace(/\d{8}T\d{6}Z-[0-9a-f]{6}[^/]*/g, '<run>').replace(/ingest_date=[\d-]+/g, 'ingest_date=<day>');

/** Every key of the lake but the mail and the engine's spill, masked, with the duplicates a kill could leave. */
function lakeKeys(lake: string): string[] {
  return readdirSync(lake, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(lake, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .filter((key) => !key.startsWith('outbox/') && !key.startsWith('_scratch/spill/'))
    .map(masked)
    .sort();
}

/** What a run leaves that must not depend on how it got there. */
async function outcome(dir: string) {
  const lake = path.join(dir, 'lake');
  const ctx = await createLocalContext(await loadConfig(path.join(dir, 'pulse.config.json')), parsePeriod('2026-10'), {
    quiet: true,
  });
  try {
    await registerCurated(ctx);
    const curated: Record<string, unknown[]> = {};
    for (const e of entities) curated[e.name] = await ctx.engine.query(`select * from ${e.name} order by all`);
    const bookkeeping = JSON.parse(readFileSync(path.join(lake, 'state/_curate/tickets.json'), 'utf8')) as {
      rawKeys: string[];
      rows: number;
      duplicatesMerged: number;
    };
    return {
      curated,
      marts: await martRows(ctx),
      curate: { parts: bookkeeping.rawKeys.length, rows: bookkeeping.rows, merged: bookkeeping.duplicatesMerged },
      keys: lakeKeys(lake),
      kpis: kpisUntimed(lake),
      copies: outboxCopies(lake),
    };
  } finally {
    await ctx.engine.close();
  }
}

let clean: Awaited<ReturnType<typeof outcome>>;

beforeAll(async () => {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(path.join(template, 'exports'), { recursive: true });
  for (const file of readdirSync(catalog).filter((f) => f.endsWith('.csv') && f !== 'tickets.csv'))
    copyFileSync(path.join(catalog, file), path.join(template, 'exports', file));
  writeFileSync(path.join(template, 'exports/tickets-1.csv'), firstExport());
  const config = JSON.parse(readFileSync(path.join(catalog, 'pulse.config.json'), 'utf8')) as {
    sources: { name: string; path: string }[];
  };
  writeFileSync(
    path.join(template, 'pulse.config.json'),
    JSON.stringify({
      ...config,
      lake: './lake',
      sources: config.sources.map((s) => ({
        ...s,
        path: s.name === 'tickets' ? 'exports/tickets-*.csv' : `exports/${s.path}`,
      })),
      audiences: [
        { name: 'executive', report: 'executive', recipients: ['ceo@example.com', 'coo@example.com'] },
        { name: 'finance', report: 'finance', recipients: ['cfo@example.com'] },
      ],
      mail: { transport: 'outbox', from: 'pulse@example.com' },
    }),
  );
  // The first export, curated and built: nothing evaluated or sent yet.
  const first = spawnSync(
    process.execPath,
    [
      path.join(repo, 'bin/pulse.js'),
      'run',
      '--config',
      path.join(template, 'pulse.config.json'),
      '--period',
      '2026-10',
      '--stages',
      'extract,curate,marts',
    ],
    { cwd: repo, encoding: 'utf8' },
  );
  expect(first.status, first.stderr).toBe(0);
  const dir = scenario('clean');
  const run = await pulse(dir).exited;
  expect(run.code, run.stderr).toBe(0);
  clean = await outcome(dir);
}, 240_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs the scenario with PULSE_FAULT at `point`: it must die there; then a plain run. */
async function killThenRerun(name: string, point: string) {
  const dir = scenario(name);
  const killed = await pulse(dir, { PULSE_FAULT: point }).exited;
  expect(killed.signal, `${point} not reached:\n${killed.stderr}`).toBe('SIGKILL');
  const rerun = await pulse(dir).exited;
  expect(rerun.code, rerun.stderr).toBe(0);
  return { dir, rerun, after: await outcome(dir) };
}

describe('an incremental lake, a kill inside a write, then a plain run', () => {
  it('the clean run folds the later versions: 44 tickets, 19 older versions merged, one copy each', () => {
    // First export: 4 catalog tickets + 36 generated = 40 rows. Second: 18 later versions of the
    // open G tickets + a later K3 + 2 new = 21 rows. Tickets: 40 + 2 new = 42 records...
    expect(clean.curate).toEqual({ parts: 2, rows: 42, merged: 19 });
    expect(clean.copies).toEqual({
      'executive/ceo@example.com': 1,
      'executive/coo@example.com': 1,
      'finance/cfo@example.com': 1,
    });
  });

  it.each([
    ['a raw part landed, its state not saved', 'extract:landed'],
    ['a fold staged, not committed', 'curate:staged'],
    ['a fold staged, a month of its staging moved in', 'switch:curated/_staging/tickets/#2'],
    ['a committed fold between emptying a month and moving its rows in', 'curate:cleared#2'],
    ['a kpi_monthly write started', 'write:marts/kpi_monthly/'],
    ['a mart written, its second month emptied and not yet moved in', 'switch:marts/trc/#2'],
  ])(
    '%s (%s): the clean lake, kpis.json and one copy each',
    async (_, point) => {
      const { after } = await killThenRerun(point.replace(/[^a-z]+/g, '-'), point);
      expect(after).toEqual(clean);
    },
    240_000,
  );
});

/** Mounts a tmpfs of `size` on `dir` (root only; this suite runs as root), false when it cannot. */
function mountTmpfs(dir: string, size: string): boolean {
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]).status === 0;
}

/** Whether the process is stopped (state T in /proc/<pid>/stat). */
const stopped = (pid: number) => / T /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\)/, ''));

/** Writes to `file` until the file system has no byte left: ENOSPC, as a full disk answers. */
function fillDisk(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (const size of [1 << 20, 4096, 512, 1])
      for (;;)
        try {
          writeSync(fd, Buffer.alloc(size));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
          break;
        }
  } finally {
    closeSync(fd);
  }
}

describe('an incremental lake, a full disk inside a write, then a plain run once there is room', () => {
  /**
   * The lake on a file system of its own (a tmpfs) that the test fills while the run is stopped at
   * the start of a Parquet write: DuckDB's writes then fail with ENOSPC, as on a full disk.
   */
  it.each([
    ['curate’s staged rows', 'write:curated/_staging/tickets/'],
    ['kpi_monthly', 'write:marts/kpi_monthly/'],
  ])(
    'the disk fills during %s: exit 1 naming it, then the clean lake',
    async (_, point) => {
      const dir = scenario(`full-${point.replace(/[^a-z]+/g, '-')}`);
      const lake = path.join(dir, 'lake');
      const first = path.join(dir, 'first-lake');
      cpSync(lake, first, { recursive: true, preserveTimestamps: true });
      rmSync(lake, { recursive: true });
      mkdirSync(lake);
      expect(mountTmpfs(lake, '64m'), 'mount -t tmpfs (this suite needs root)').toBe(true);
      try {
        cpSync(first, lake, { recursive: true, preserveTimestamps: true });
        rmSync(first, { recursive: true });
        const run = pulse(dir, { PULSE_FAULT: point, PULSE_FAULT_SIGNAL: 'SIGSTOP' });
        let gone = false;
        void run.exited.then(() => (gone = true));
        while (!gone && !stopped(run.child.pid!)) await new Promise((resolve) => setTimeout(resolve, 50));
        expect(gone, `${point} not reached`).toBe(false);
        fillDisk(path.join(lake, 'filler'));
        run.child.kill('SIGCONT');
        const full = await run.exited;
        expect(full.code).toBe(1);
        expect(full.stderr).toMatch(/No space left on device/);
        rmSync(path.join(lake, 'filler'));
        const rerun = await pulse(dir).exited;
        expect(rerun.code, rerun.stderr).toBe(0);
        expect(await outcome(dir)).toEqual(clean);
      } finally {
        spawnSync('umount', ['-l', lake]);
      }
    },
    240_000,
  );
});

describe('torn leftovers in the lake: a plain run repairs them, says so, and gives the clean lake', () => {
  it('a 0-byte curated part, a kpi_monthly part with no footer, temporary files and staging folders', async () => {
    // prepare: what a kill or a full disk left under an earlier Pulse, which wrote in place
    const dir = scenario('leftovers');
    const lake = path.join(dir, 'lake');
    const plant = (key: string, body: Buffer | string) => {
      mkdirSync(path.dirname(path.join(lake, key)), { recursive: true });
      writeFileSync(path.join(lake, key), body);
    };
    plant('curated/tickets/month=2026-09/part_1.parquet', '');
    const whole = readFileSync(path.join(lake, 'marts/kpi_monthly/month=2026-10/part_0.parquet'));
    plant('marts/kpi_monthly/month=2026-10/part_1.parquet', whole.subarray(0, whole.length >> 1));
    plant('state/tickets/tickets.json.4242.x1y2.tmp', '{"half":');
    plant('curated/tickets/month=2026-08/part_0.parquet.4242.x1y2.tmp', 'PAR1');
    plant('curated/_staging/tickets/deadbeef/month=2026-10/part_0.parquet', '');
    plant('_scratch/writes/cafef00d/month=2026-10/part_0.parquet', '');
    // The CLI shows a lake path relative to where it runs (the repository).
    const shown = (key: string) => path.relative(repo, path.join(lake, key));
    // act
    const run = await pulse(dir).exited;
    // assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(
      `curate tickets: ${shown('curated/tickets/month=2026-09/part_1.parquet')} is torn ` +
        '(0 bytes, too short to be a Parquet file): tickets is curated again from its raw parts',
    );
    expect(run.stderr).toContain(
      `marts: ${shown('marts/kpi_monthly/month=2026-10/part_1.parquet')} is torn ` +
        `(${whole.length >> 1} bytes with no Parquet footer: its write was cut short): ` +
        'removed, and every mart is built again',
    );
    expect(run.stderr).toContain(
      'lake: removed 2 temporary file(s) of writes a stopped run never finished: ' +
        'curated/tickets/month=2026-08/part_0.parquet.4242.x1y2.tmp, state/tickets/tickets.json.4242.x1y2.tmp',
    );
    expect(await outcome(dir)).toEqual(clean);
  }, 240_000);
});

describe('two runs at once on an incremental lake', () => {
  it('a second run while the first is inside its fold exits 1 naming the holder; the first ends clean', async () => {
    // prepare: the first run stopped between staging its fold and committing it
    const dir = scenario('two-runs');
    const first = pulse(dir, { PULSE_FAULT: 'curate:staged', PULSE_FAULT_SIGNAL: 'SIGSTOP' });
    let gone = false;
    void first.exited.then(() => (gone = true));
    while (!gone && !stopped(first.child.pid!)) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(gone, 'curate:staged not reached').toBe(false);
    // act
    const second = await pulse(dir).exited;
    first.child.kill('SIGCONT');
    const done = await first.exited;
    // assess
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/the lake is held by run \S+ \(pid \d+ on .+\) since .+/);
    expect(done.code, done.stderr).toBe(0);
    expect(await outcome(dir)).toEqual(clean);
  }, 240_000);
});
