/**
 * One run per lake at a time (docs/design.md, "One run per lake"): a lock file in a folder lake,
 * a lease object in an S3 one. The holder is written into it, so a run that finds the lake taken
 * can say who has it and since when, and a holder that is gone can be told from one still at work.
 */
export interface LockHolder {
  /** The run that holds the lake (its run id). */
  runId: string;
  pid: number;
  host: string;
  /** When the holder took the lake (ISO 8601). */
  since: string;
  /** Until when the lock holds unless renewed (ISO 8601): past it, a holder on another host is taken as gone. */
  expires: string;
}

/** What acquire found: the lake is ours (perhaps taken over from a holder that was gone), or whose it is. */
export type LockAttempt = { held: true; takenOver?: LockHolder } | { held: false; holder: LockHolder };

export interface LakeLock {
  /** Where the lock lives, as the user would look for it (a file path, an s3:// URL). */
  readonly where: string;
  /**
   * Takes the lake for `holder` if no one holds it, or if its holder is gone; otherwise says who
   * holds it. While held, the adapter renews the expiry in the background.
   */
  acquire(holder: LockHolder): Promise<LockAttempt>;
  /** Gives the lake back (only if this holder still holds it) and stops renewing. */
  release(): Promise<void>;
  /** Who holds the lake now, if anyone. */
  holder(): Promise<LockHolder | undefined>;
}

/** The facts that decide whether a holder is gone: this machine, the clock, and which processes run here. */
export interface Here {
  host: string;
  now: Date;
  alive: (pid: number) => boolean;
}

/**
 * A holder is gone when its process no longer runs on this host, or, on another host (whose
 * processes cannot be seen from here), when its lock expired without being renewed.
 */
export function holderGone(holder: Pick<LockHolder, 'pid' | 'host' | 'expires'>, here: Here): boolean {
  if (holder.host === here.host && !here.alive(holder.pid)) return true;
  return Date.parse(holder.expires) <= here.now.getTime();
}

/** Whether a process runs on this machine: signal 0 checks without sending (EPERM: it runs, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The holder as a run that finds the lake taken says it. */
export function describeHolder(holder: LockHolder): string {
  return `run ${holder.runId} (pid ${holder.pid} on ${holder.host}) since ${holder.since}`;
}

/** Reads a lock's body; undefined when it is not a holder (a torn or foreign file). */
export function parseHolder(body: Buffer | string): LockHolder | undefined {
  try {
    const value = JSON.parse(body.toString()) as Partial<LockHolder>;
    const ok =
      typeof value.runId === 'string' &&
      typeof value.pid === 'number' &&
      typeof value.host === 'string' &&
      typeof value.since === 'string' &&
      typeof value.expires === 'string';
    return ok ? (value as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}
