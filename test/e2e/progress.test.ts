import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.ts';
import { amount, terminalProgress } from '../../functions/cli/progress.ts';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { loadConfig } from '../../functions/config/load.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { Progress, ProgressUnit } from '../../functions/stages/context.ts';
import { curate } from '../../functions/stages/curate.ts';
import { extract } from '../../functions/stages/extract.ts';
import { captureCli } from '../support/cliOutput.ts';

/** Progress counts what a stage does: extract the bytes it lands, curate the rows it validates. */
const cli = captureCli();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Every call a stage makes on its progress, in order. */
function recorder(): Progress & { calls: { label?: string; unit?: ProgressUnit; done?: number; detail?: string }[] } {
  const calls: { label?: string; unit?: ProgressUnit; done?: number; detail?: string }[] = [];
  return {
    calls,
    start: (label, _total, unit) => void calls.push({ label, ...(unit ? { unit } : {}) }),
    update: (done, detail) => void calls.push({ done, ...(detail ? { detail } : {}) }),
    stop: () => {},
  };
}

describe('progress', () => {
  it('extract counts the bytes of a file landed as is; curate the rows it validated', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pulse-progress-'));
    dirs.push(dir);
    cpSync(path.resolve(import.meta.dirname, '../fixtures/golden'), dir, { recursive: true });
    const file = path.join(dir, 'pulse.config.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), lake: './lake' }));
    const ctx = await createLocalContext(await loadConfig(file), parsePeriod('2026-10'), { quiet: true });
    try {
      const progress = recorder();
      ctx.progress = progress;
      await extract(ctx);
      // tickets.csv lands byte for byte: the bar's value is its size, not "0 rows".
      expect(progress.calls[0]).toEqual({ label: 'extract helpdesk', unit: 'bytes' });
      expect(progress.calls.at(-1)!.done).toBe(statSync(path.join(dir, 'tickets.csv')).size);

      const validation = recorder();
      ctx.progress = validation;
      await curate(ctx);
      // The golden tickets.csv has 24 data rows; every other entity has no source.
      expect(validation.calls.at(-1)!.detail).toBe('24 rows validated');
    } finally {
      await ctx.engine.close();
    }
  });

  it('off a terminal, one plain line as a bar ends: what it counted and the time', () => {
    const written: string[] = [];
    const stream = { isTTY: false, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    const progress = terminalProgress(stream);
    progress.start('extract helpdesk', 0, 'bytes');
    progress.update(133_169_152, '');
    progress.update(133_169_152);
    expect(written).toEqual([]);
    progress.stop();
    expect(written).toEqual([expect.stringMatching(/^extract helpdesk: 127\.0 MB, \d+\.\d s\n$/)]);
    expect(amount(12_000, 'rows')).toBe('12,000 rows');
  });

  it('generate counts the tickets it writes on stderr and says how long it took', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'pulse-gen-'));
    dirs.push(out);
    const args = ['generate', '--out', out, '--months', '1', '--tickets-per-month', '1500', '--end-month', '2026-10'];

    expect(await main(args, cli.io)).toBe(0);

    expect(cli.err()).toMatch(/^generate tickets: 1,\d{3} rows, \d+\.\d s\n/m);
    expect(cli.out()).toMatch(/Generated in \d+\.\d s\.\n$/);
  });

  it('demo gives each stage its time, generate included, in its one JSON answer', { timeout: 180_000 }, async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'pulse-demo-'));
    dirs.push(out);
    const printed: string[] = [];
    const args = ['demo', '--out', out, '--months', '2', '--tickets-per-month', '60', '--json'];

    expect(await main(args, { out: (s) => void printed.push(s), now: () => new Date('2026-11-15T12:00:00Z') })).toBe(0);

    const answer = JSON.parse(printed.join('')) as {
      ok: boolean;
      period: string;
      stages: { stage: string; seconds: number }[];
    };
    expect(answer.ok).toBe(true);
    expect(answer.period).toBe('2026-10');
    expect(answer.stages.map((s) => s.stage)).toEqual([
      'generate',
      'extract',
      'curate',
      'marts',
      'evaluate',
      'render',
      'deliver',
    ]);
    for (const s of answer.stages) expect(s.seconds).toBeGreaterThanOrEqual(0);
  });
});
