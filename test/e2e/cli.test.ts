import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.ts';
import { captureCli } from '../support/cliOutput.ts';

const golden = path.resolve(import.meta.dirname, '../fixtures/golden/pulse.config.json');
const cli = captureCli();
const io = cli.io;

describe('pulse CLI exit codes and messages', () => {
  it('check-config explains a valid config (0)', async () => {
    expect(await main(['check-config', golden], io)).toBe(0);
    expect(cli.out()).toMatch(/valid\.\n.*time zone Europe\/Helsinki/);
    expect(cli.out()).toContain('Source helpdesk: csv → tickets from tickets.csv');
  });

  it('a bad config names the file and key (2)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pulse-cli-'));
    const file = path.join(dir, 'pulse.config.json');
    writeFileSync(file, JSON.stringify({ lake: './lake', sources: [{ name: 'x', type: 'csv', entity: 'tickets' }] }));
    expect(await main(['check-config', file], io)).toBe(2);
    expect(cli.err()).toContain('pulse.config.json: sources[0].path:');
  });

  it('bad usage is 2: an unknown period, an unknown stage, a missing option', async () => {
    expect(await main(['run', '--config', golden, '--period', '2026-13'], io)).toBe(2);
    expect(cli.err()).toContain('period "2026-13" is not YYYY-MM, YYYY-Qn or YYYY-MM..YYYY-MM');
    expect(await main(['run', '--config', golden, '--period', '2026-10', '--stages', 'extract,publish'], io)).toBe(2);
    expect(await main(['run', '--config', golden], io)).toBe(2);
    expect(
      await main(['generate', '--out', path.join(tmpdir(), 'pulse-never'), '--timezone', 'Mars/Olympus'], io),
    ).toBe(2);
    expect(cli.err()).toContain("argument 'Mars/Olympus' is invalid. unknown IANA time zone");
    expect(await main(['generate', '--out', path.join(tmpdir(), 'pulse-never'), '--end-month', '2026-Q3'], io)).toBe(2);
    expect(cli.err()).toContain('must be a month, YYYY-MM');
  });

  it('a failing stage is 1 and names the stage and the cause', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pulse-cli-'));
    const file = path.join(dir, 'pulse.config.json');
    writeFileSync(
      file,
      JSON.stringify({
        lake: './lake',
        sources: [{ name: 'helpdesk', type: 'csv', entity: 'tickets', path: 'missing.csv' }],
      }),
    );
    expect(await main(['run', '--config', file, '--period', '2026-10', '--stages', 'render', '--json'], io)).toBe(1);
    expect(cli.err()).toMatch(
      /stage render failed: reports\/2026-10\/kpis\.json does not exist: run the evaluate stage first/,
    );
    expect(await main(['run', '--config', file, '--period', '2026-10', '--stages', 'extract', '--json'], io)).toBe(1);
    expect(cli.err()).toMatch(
      /stage extract failed: sources "helpdesk": no file matches missing\.csv \(resolved from .*\): check the path, or the export's name/,
    );
  });
});

describe('pulse --json: exactly one JSON object on stdout, errors included', () => {
  /** stdout parsed as one JSON value: JSON.parse refuses anything before or after it. */
  const answer = () => JSON.parse(cli.out()) as Record<string, unknown>;

  it('a failed run: ok false, the exit code, the stage and the message', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pulse-cli-'));
    const file = path.join(dir, 'pulse.config.json');
    writeFileSync(
      file,
      JSON.stringify({ lake: './lake', sources: [{ name: 'h', type: 'csv', entity: 'tickets', path: 'x.csv' }] }),
    );

    expect(await main(['run', '--config', file, '--period', '2026-10', '--stages', 'render', '--json'], io)).toBe(1);

    expect(answer()).toEqual({
      ok: false,
      exitCode: 1,
      error: {
        kind: 'stage',
        stage: 'render',
        message: expect.stringMatching(/^stage render failed: reports\/2026-10\/kpis\.json does not exist/),
      },
    });
  });

  it('a bad config: its problems in the object', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pulse-cli-'));
    const file = path.join(dir, 'pulse.config.json');
    writeFileSync(file, JSON.stringify({ lake: './lake', sources: [{ name: 'x', type: 'csv', entity: 'tickets' }] }));
    expect(await main(['run', '--config', file, '--period', '2026-10', '--json'], io)).toBe(2);
    expect(answer()).toMatchObject({
      ok: false,
      exitCode: 2,
      error: { kind: 'config', problems: ['pulse.config.json: sources[0].path: required'] },
    });
  });

  it('bad usage: an unknown option and a bad period', async () => {
    expect(await main(['run', '--config', golden, '--period', '2026-13', '--json'], io)).toBe(2);
    expect(answer()).toMatchObject({ ok: false, exitCode: 2, error: { kind: 'usage' } });
  });

  it('an unknown option is usage, in JSON', async () => {
    expect(await main(['check-config', golden, '--jsno', '--json'], io)).toBe(2);
    expect(answer()).toEqual({
      ok: false,
      exitCode: 2,
      error: { kind: 'usage', message: "unknown option '--jsno' (Did you mean --json?)" },
    });
  });

  it('check-config of a valid config: ok, and the screen goes to stderr', async () => {
    expect(await main(['check-config', golden, '--json'], io)).toBe(0);
    expect(answer()).toEqual({ ok: true, file: golden, problems: [] });
    expect(cli.err()).toContain('Source helpdesk: csv → tickets from tickets.csv');
  });

  it('generate: the files written', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'pulse-gen-'));
    const args = ['generate', '--out', out, '--months', '1', '--tickets-per-month', '20', '--end-month', '2026-10'];
    expect(await main([...args, '--json'], io)).toBe(0);
    const { ok, files } = answer() as { ok: boolean; files: Record<string, { rows: number; path: string }> };
    expect(ok).toBe(true);
    expect(files.tickets!.rows).toBeGreaterThan(0);
  });
});
