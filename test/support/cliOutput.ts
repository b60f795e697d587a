import { afterEach, beforeEach, vi } from 'vitest';
import type { main } from '../../functions/cli/main.ts';

type CliIo = NonNullable<Parameters<typeof main>[1]>;

/**
 * What the CLI prints in a test file: `io` is main()'s output sink, stderr is captured; both are
 * emptied before each test. `out()` and `err()` give what was printed so far.
 */
export function captureCli(): { io: CliIo; out: () => string; err: () => string } {
  let out: string[] = [];
  let err: string[] = [];
  beforeEach(() => {
    out = [];
    err = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  });
  afterEach(() => vi.restoreAllMocks());
  return { io: { out: (s: string) => void out.push(s) }, out: () => out.join(''), err: () => err.join('') };
}
