import { randomBytes } from 'node:crypto';

/**
 * A run's id: its start time, then random hex, so runs sort by time and never collide. Its own
 * module: the CLI names the lake lock's holder with it before it loads any stage.
 */
export function newRunId(now: Date): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}
