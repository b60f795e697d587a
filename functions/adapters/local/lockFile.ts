import { hostname } from 'node:os';
import { link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  holderGone,
  parseHolder,
  processAlive,
  type Here,
  type LakeLock,
  type LockAttempt,
  type LockHolder,
} from '../../ports/lakeLock.ts';

/** The lock's file in the lake: beside the lake's folders, in no prefix a stage reads or deletes. */
export const lockFileName = '_lock.json';

export interface LockFileOptions {
  /** How long the lock holds unless renewed; it is renewed every third of it. */
  ttlMs?: number;
  /** For tests: another machine, another clock, other processes. */
  here?: () => Here;
}

/** A take-over marker older than this was left by a process killed in the middle of one. */
const markerStaleMs = 10_000;

/**
 * The lake lock of a folder lake: `<lake>/_lock.json`, naming the holder. It is created complete
 * or not at all (written to a temporary file, then hard-linked to its name: a link fails if the
 * name exists, as O_EXCL does, and never shows a half-written file). A holder that is gone is
 * replaced under a take-over marker, itself created exclusively, so two runs that find the same
 * dead holder cannot both take the lake.
 */
export class LockFile implements LakeLock {
  readonly where: string;
  private readonly marker: string;
  private readonly ttlMs: number;
  private readonly here: () => Here;
  private mine: LockHolder | undefined;
  private renewal: NodeJS.Timeout | undefined;

  constructor(lakeDir: string, options: LockFileOptions = {}) {
    this.where = path.join(path.resolve(lakeDir), lockFileName);
    this.marker = `${this.where}.takeover`;
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.here = options.here ?? (() => ({ host: hostname(), now: new Date(), alive: processAlive }));
  }

  async acquire(holder: LockHolder): Promise<LockAttempt> {
    await mkdir(path.dirname(this.where), { recursive: true });
    const mine = { ...holder, expires: this.expiry() };
    for (;;) {
      if (await this.create(this.where, mine)) return this.held(mine);
      const found = await this.read();
      if (found === 'absent') continue;
      const gone = found === 'torn' || holderGone(found, this.here());
      if (!gone) return { held: false, holder: found };
      const taken = await this.takeOver(found, mine);
      if (taken === 'taken') return this.held(mine, found === 'torn' ? undefined : found);
      if (taken === 'busy') await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async release(): Promise<void> {
    clearInterval(this.renewal);
    this.renewal = undefined;
    const mine = this.mine;
    this.mine = undefined;
    if (!mine) return;
    const found = await this.read();
    if (typeof found === 'object' && found.runId === mine.runId) await unlink(this.where).catch(ignoreMissing);
  }

  async holder(): Promise<LockHolder | undefined> {
    const found = await this.read();
    return typeof found === 'object' ? found : undefined;
  }

  private held(mine: LockHolder, takenOver?: LockHolder): LockAttempt {
    this.mine = mine;
    this.renewal = setInterval(() => void this.renew(), this.ttlMs / 3);
    this.renewal.unref();
    return takenOver ? { held: true, takenOver } : { held: true };
  }

  /** Moves the expiry on while this run holds the lake, so another host never takes a live run's lake. */
  private async renew(): Promise<void> {
    const mine = this.mine;
    if (!mine) return;
    const found = await this.read();
    if (typeof found !== 'object' || found.runId !== mine.runId) return;
    mine.expires = this.expiry();
    const temp = this.tempName();
    await writeFile(temp, body(mine));
    await rename(temp, this.where);
  }

  /**
   * Replaces a gone holder's lock, if this run is the one to create the take-over marker and the
   * lock is still the one found gone. 'busy': another run is taking over; 'changed': look again.
   */
  private async takeOver(found: LockHolder | 'torn', mine: LockHolder): Promise<'taken' | 'busy' | 'changed'> {
    if (!(await this.create(this.marker, mine))) {
      const age = await stat(this.marker).then((s) => Date.now() - s.mtimeMs, ignoreMissing);
      if (age !== undefined && age > markerStaleMs) await unlink(this.marker).catch(ignoreMissing);
      return 'busy';
    }
    try {
      const now = await this.read();
      const same = found === 'torn' ? now === 'torn' : typeof now === 'object' && now.runId === found.runId;
      if (!same) return 'changed';
      await unlink(this.where).catch(ignoreMissing);
      return (await this.create(this.where, mine)) ? 'taken' : 'changed';
    } finally {
      await unlink(this.marker).catch(ignoreMissing);
    }
  }

  /** Creates `file` holding `holder`, complete, only if no file has that name. */
  private async create(file: string, holder: LockHolder): Promise<boolean> {
    const temp = this.tempName();
    await writeFile(temp, body(holder));
    try {
      await link(temp, file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await unlink(temp).catch(ignoreMissing);
    }
  }

  /** The holder in the lock file; 'torn' for a file that names none (never written by this class). */
  private async read(): Promise<LockHolder | 'absent' | 'torn'> {
    const text = await readFile(this.where, 'utf8').catch(ignoreMissing);
    if (text === undefined) return 'absent';
    return parseHolder(text) ?? 'torn';
  }

  private expiry(): string {
    return new Date(this.here().now.getTime() + this.ttlMs).toISOString();
  }

  private tempName(): string {
    return `${this.where}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  }
}

const body = (holder: LockHolder) => `${JSON.stringify(holder, null, 2)}\n`;

function ignoreMissing(error: unknown): undefined {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  throw error;
}
