import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LockFile } from '../../functions/adapters/local/lockFile.ts';
import { processAlive, type LockHolder } from '../../functions/ports/lakeLock.ts';

/** The folder lake's lock file on a real file system: who holds it, when it is taken over, and races for it. */
let lake: string;
beforeEach(() => {
  lake = mkdtempSync(path.join(tmpdir(), 'pulse-lock-'));
});
afterEach(() => rmSync(lake, { recursive: true, force: true }));

const since = '2026-11-01T06:00:00.000Z';
const holder = (runId: string, pid = process.pid, host = hostname()): LockHolder => ({
  runId,
  pid,
  host,
  since,
  expires: since,
});
/** A pid that ran and is gone: a child that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;
const lockFile = () => path.join(lake, '_lock.json');
const writeLock = (h: LockHolder) => writeFileSync(lockFile(), JSON.stringify(h));

describe('LockFile', () => {
  it('takes a free lake and names the holder in <lake>/_lock.json', async () => {
    // prepare
    const lock = new LockFile(lake);
    // act
    const attempt = await lock.acquire(holder('run-a'));
    // assess
    expect(attempt).toEqual({ held: true });
    const written = JSON.parse(readFileSync(lockFile(), 'utf8')) as LockHolder;
    expect(written).toMatchObject({ runId: 'run-a', pid: process.pid, host: hostname(), since });
    expect(Date.parse(written.expires)).toBeGreaterThan(Date.now());
    await lock.release();
  });

  it('refuses a second run while the holder runs, naming it, and frees the lake on release', async () => {
    // prepare
    const first = new LockFile(lake);
    await first.acquire(holder('run-a'));
    // act
    const second = await new LockFile(lake).acquire(holder('run-b'));
    await first.release();
    const third = await new LockFile(lake).acquire(holder('run-c'));
    // assess
    expect(second).toMatchObject({ held: false, holder: { runId: 'run-a', pid: process.pid, since } });
    expect(third).toEqual({ held: true });
  });

  it('takes over a lock whose process on this host is gone, and says whose it was', async () => {
    // prepare
    const pid = deadPid();
    expect(processAlive(pid)).toBe(false);
    writeLock({ ...holder('run-dead', pid), expires: '2099-01-01T00:00:00.000Z' });
    // act
    const attempt = await new LockFile(lake).acquire(holder('run-b'));
    // assess
    expect(attempt).toMatchObject({ held: true, takenOver: { runId: 'run-dead', pid } });
    expect(JSON.parse(readFileSync(lockFile(), 'utf8'))).toMatchObject({ runId: 'run-b' });
  });

  it("keeps another host's lock until it expires, then takes it over", async () => {
    // prepare: a pid that means nothing here, on a host whose processes cannot be seen
    const other = { ...holder('run-far', 1, 'elsewhere'), expires: new Date(Date.now() + 60_000).toISOString() };
    writeLock(other);
    // act
    const early = await new LockFile(lake).acquire(holder('run-b'));
    writeLock({ ...other, expires: new Date(Date.now() - 1000).toISOString() });
    const late = await new LockFile(lake).acquire(holder('run-c'));
    // assess
    expect(early).toMatchObject({ held: false, holder: { runId: 'run-far', host: 'elsewhere' } });
    expect(late).toMatchObject({ held: true, takenOver: { runId: 'run-far' } });
  });

  it('of eight runs that find the same dead holder at once, exactly one takes the lake', async () => {
    // prepare
    writeLock({ ...holder('run-dead', deadPid()), expires: '2099-01-01T00:00:00.000Z' });
    // act
    const attempts = await Promise.all(
      Array.from({ length: 8 }, (_, i) => new LockFile(lake).acquire(holder(`run-${i}`))),
    );
    // assess
    const winners = attempts.flatMap((a, i) => (a.held ? [`run-${i}`] : []));
    expect(winners).toHaveLength(1);
    expect(JSON.parse(readFileSync(lockFile(), 'utf8'))).toMatchObject({ runId: winners[0] });
    for (const a of attempts) if (!a.held) expect(a.holder.runId).toBe(winners[0]);
  });

  it('renews its expiry while held', async () => {
    // prepare
    const lock = new LockFile(lake, { ttlMs: 90 });
    await lock.acquire(holder('run-a'));
    const first = (JSON.parse(readFileSync(lockFile(), 'utf8')) as LockHolder).expires;
    // act
    const renewed = await vi.waitFor(() => {
      const expires = (JSON.parse(readFileSync(lockFile(), 'utf8')) as LockHolder).expires;
      if (expires === first) throw new Error('not renewed yet');
      return expires;
    });
    await lock.release();
    // assess
    expect(Date.parse(renewed)).toBeGreaterThan(Date.parse(first));
    expect(existsSync(lockFile())).toBe(false);
  });

  it('release leaves a lock another run took alone', async () => {
    // prepare
    const lock = new LockFile(lake);
    await lock.acquire(holder('run-a'));
    writeLock(holder('run-other'));
    // act
    await lock.release();
    // assess
    expect(JSON.parse(readFileSync(lockFile(), 'utf8'))).toMatchObject({ runId: 'run-other' });
  });
});
