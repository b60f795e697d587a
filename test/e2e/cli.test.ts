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
