import { hostname } from 'node:os';
import { PulseError } from '../errors.ts';
import { describeHolder, type LakeLock } from '../ports/lakeLock.ts';

/** Another run holds the lake: the run did nothing (exit 1). */
export class LakeBusyError extends PulseError {}

export interface HoldOptions {
  runId: string;
  /** --wait: how long to wait for the holder to finish; undefined: do not wait. */
  waitSeconds?: number;
  log: (message: string) => void;
  /** How often a waiting run looks again. */
  pollMs?: number;
}

/**
 * Takes the lake for this run before any stage touches it (docs/design.md, "One run per lake"):
 * a lock left by a run that is gone is taken over and the log says whose it was; a lock another
 * run holds stops this one (LakeBusyError, naming the holder and since when), or with --wait is
 * waited for, up to the time given.
 */
export async function holdLake(lock: LakeLock, options: HoldOptions): Promise<void> {
  const since = new Date().toISOString();
  const holder = { runId: options.runId, pid: process.pid, host: hostname(), since, expires: since };
  const giveUpAt = Date.now() + (options.waitSeconds ?? 0) * 1000;
  let waiting = false;
  for (;;) {
    const attempt = await lock.acquire(holder);
    if (attempt.held) {
      if (attempt.takenOver)
        options.log(`lake lock: took over ${lock.where} from ${describeHolder(attempt.takenOver)}: that run is gone`);
      else if (waiting) options.log(`lake lock: the lake is free: run ${options.runId} starts`);
      return;
    }
    const held = `the lake is held by ${describeHolder(attempt.holder)} (${lock.where})`;
    if (options.waitSeconds === undefined)
      throw new LakeBusyError(`${held}: one run per lake at a time; wait for it, or run again with --wait`);
    if (Date.now() >= giveUpAt)
      throw new LakeBusyError(`${held}, still after waiting ${options.waitSeconds} s: nothing was run`);
    if (!waiting) options.log(`lake lock: ${held}: waiting up to ${options.waitSeconds} s for it to finish`);
    waiting = true;
    await new Promise((resolve) => setTimeout(resolve, Math.min(options.pollMs ?? 1000, giveUpAt - Date.now())));
  }
}
