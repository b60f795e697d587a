import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.ts';
import { captureCli } from '../support/cliOutput.ts';
import { countingSmtp } from '../support/countingSmtp.ts';
import { kpisUntimed } from '../support/pipelineRun.ts';

/**
 * One run per lake, with real `pulse run` processes (bin/pulse.js) on the golden fixture. The
 * first run's deliver stage sends to a real SMTP server (smtp-server on loopback) that holds its
 * answer to the first message until the test lets it go: so the first run is known to hold the
 * lake while the second one starts, with no guessing at timings.
 */
const repo = path.resolve(import.meta.dirname, '../..');
const fixture = path.join(repo, 'test/fixtures/golden');
const recipients = ['ceo@example.com', 'coo@example.com', 'cfo@example.com'];
const cli = captureCli();

let dir: string;
let smtp: Awaited<ReturnType<typeof countingSmtp>>;
let firstMessage: Promise<void>;
let letGo: () => void;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pulse-lake-lock-'));
  copyFileSync(path.join(fixture, 'tickets.csv'), path.join(dir, 'tickets.csv'));
  let arrived!: () => void;
  firstMessage = new Promise((resolve) => (arrived = resolve));
  const gate = new Promise<void>((resolve) => (letGo = resolve));
  smtp = await countingSmtp(() => {
    arrived();
    return gate;
  });
});

afterEach(async () => {
  letGo();
  await smtp.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The golden fixture's config with a lake of its own, three recipients, and mail through the test's server. */
function config(name: string, mail: 'smtp' | 'outbox' = 'smtp'): string {
  const file = path.join(dir, `${name}.config.json`);
  const golden = JSON.parse(readFileSync(path.join(fixture, 'pulse.config.json'), 'utf8')) as Record<string, unknown>;
  const { port } = smtp;
  writeFileSync(
    file,
    JSON.stringify({
      ...golden,
      lake: `./${name}-lake`,
      audiences: [{ name: 'executive', recipients }],
      mail:
        mail === 'smtp'
          ? { transport: 'smtp', host: '127.0.0.1', port, from: 'pulse@example.com' }
          : { transport: 'outbox', from: 'pulse@example.com' },
    }),
  );
  return file;
}

/** `pulse run` as its own process; `exited` gives its code and what it printed on stderr. */
function pulseRun(configFile: string, ...extra: string[]) {
  const child = spawn(
    process.execPath,
    [path.join(repo, 'bin/pulse.js'), 'run', '--config', configFile, '--period', '2026-10', ...extra],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  return {
    child,
    stderr: () => stderr,
    exited: once(child, 'exit').then(([code]) => ({ code: code as number, stderr })),
  };
}

/** What a run leaves in the lake, run ids masked: every key but the mail's, and curate's bookkeeping. */
function lakeShape(lake: string) {
  const keys = readdirSync(lake, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(lake, path.join(e.parentPath, e.name)))
    .filter((key) => !key.startsWith('outbox/'))
    .map((key) => key.replace(/\d{8}T\d{6}Z-[0-9a-f]{6}[^/]*/g, '<run>'))
    .sort();
  const curate = JSON.parse(readFileSync(path.join(lake, 'state/_curate/tickets.json'), 'utf8')) as {
    rawKeys: string[];
    rows: number;
    duplicatesMerged: number;
  };
  return {
    keys,
    curate: { rawKeys: curate.rawKeys.length, rows: curate.rows, duplicatesMerged: curate.duplicatesMerged },
  };
}

/** The lake one run alone leaves (in this process, mail to the outbox). */
async function cleanRun() {
  expect(await main(['run', '--config', config('clean', 'outbox'), '--period', '2026-10'], cli.io)).toBe(0);
  return path.join(dir, 'clean-lake');
}

describe('one run per lake', () => {
  it('a second pulse run exits 1 naming the holder and since when; the lake is a clean run’s', async () => {
    // prepare: the first run holds the lake, stopped inside deliver
    const file = config('shared');
    const first = pulseRun(file);
    await firstMessage;
    const lock = JSON.parse(readFileSync(path.join(dir, 'shared-lake/_lock.json'), 'utf8')) as Record<string, string>;
    // act
    const second = await pulseRun(file).exited;
    letGo();
    const done = await first.exited;
    // assess
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(
      `pulse: the lake is held by run ${lock.runId} (pid ${first.child.pid} on ${hostname()}) since ${lock.since}`,
    );
    expect(second.stderr).toContain('one run per lake at a time; wait for it, or run again with --wait');
    expect(done.code).toBe(0);
    expect(smtp.copies()).toEqual(Object.fromEntries(recipients.map((r) => [r, 1])));
    expect(existsSync(path.join(dir, 'shared-lake/_lock.json'))).toBe(false);
    const clean = await cleanRun();
    expect(kpisUntimed(path.join(dir, 'shared-lake'))).toEqual(kpisUntimed(clean));
    expect(lakeShape(path.join(dir, 'shared-lake'))).toEqual(lakeShape(clean));
  }, 180_000);

  it('with --wait the second run waits for the first, then runs on the lake it left: one copy each', async () => {
    // prepare
    const file = config('shared');
    const first = pulseRun(file);
    await firstMessage;
    // act
    const second = pulseRun(file, '--wait', '170');
    while (!second.stderr().includes('waiting up to 170 s')) await new Promise((resolve) => setTimeout(resolve, 100));
    letGo();
    const [one, two] = await Promise.all([first.exited, second.exited]);
    // assess
    expect([one.code, two.code]).toEqual([0, 0]);
    expect(two.stderr).toMatch(
      /lake lock: the lake is held by run \S+ \(pid \d+ on .+\) since .+: waiting up to 170 s/,
    );
    expect(two.stderr).toContain('lake lock: the lake is free');
    expect(two.stderr).toContain('deliver: 0 sent, 3 already sent before');
    expect(smtp.copies()).toEqual(Object.fromEntries(recipients.map((r) => [r, 1])));
    const clean = await cleanRun();
    expect(kpisUntimed(path.join(dir, 'shared-lake'))).toEqual(kpisUntimed(clean));
    expect(lakeShape(path.join(dir, 'shared-lake'))).toEqual(lakeShape(clean));
  }, 180_000);

  it('takes over a lock left by a run that is gone, and says so', async () => {
    // prepare: a lock naming a process that has exited
    const file = config('stale', 'outbox');
    const pid = spawnSync(process.execPath, ['-e', '']).pid!;
    const lake = path.join(dir, 'stale-lake');
    const stale = { runId: 'run-killed', pid, host: hostname(), since: '2026-11-01T06:00:00.000Z' };
    rmSync(lake, { recursive: true, force: true });
    mkdirSync(lake, { recursive: true });
    writeFileSync(path.join(lake, '_lock.json'), JSON.stringify({ ...stale, expires: '2099-01-01T00:00:00.000Z' }));
    // act
    const code = await main(['run', '--config', file, '--period', '2026-10', '--stages', 'extract'], cli.io);
    // assess
    expect(code).toBe(0);
    expect(cli.err()).toContain(
      `lake lock: took over ${path.join(lake, '_lock.json')} from run run-killed (pid ${pid} on ${hostname()}) since 2026-11-01T06:00:00.000Z: that run is gone`,
    );
    expect(existsSync(path.join(lake, '_lock.json'))).toBe(false);
  });

  it('--wait gives up after the time given, with exit 1 and the holder named', async () => {
    // prepare: a live holder (this test's own process, another run)
    const file = config('held', 'outbox');
    const lake = path.join(dir, 'held-lake');
    mkdirSync(lake, { recursive: true });
    const holder = { runId: 'run-busy', pid: process.pid, host: hostname(), since: '2026-11-01T06:00:00.000Z' };
    writeFileSync(path.join(lake, '_lock.json'), JSON.stringify({ ...holder, expires: '2099-01-01T00:00:00.000Z' }));
    // act
    const code = await main(['run', '--config', file, '--period', '2026-10', '--wait', '1'], cli.io);
    // assess
    expect(code).toBe(1);
    expect(cli.err()).toContain(
      `pulse: the lake is held by run run-busy (pid ${process.pid} on ${hostname()}) since 2026-11-01T06:00:00.000Z (${path.join(lake, '_lock.json')}), still after waiting 1 s: nothing was run`,
    );
    expect(existsSync(path.join(lake, 'raw'))).toBe(false);
  });
});
