import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.ts';
import { captureCli } from '../support/cliOutput.ts';

/**
 * pulse check-config opens the sources (docs/design.md, "What users touch"): the files matched, the
 * header against the mapping, the first rows as canonical records, the rejects; nothing written.
 */
const fixtures = path.resolve(import.meta.dirname, '../fixtures');
const cli = captureCli();
const io = cli.io;

/** A fixture copied to a fresh folder, its lake pointed inside it, so "nothing written" can be asserted. */
function copyFixture(
  name: string,
  change: (config: Record<string, unknown>) => void = () => {},
): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'pulse-check-'));
  copyFileSync(path.join(fixtures, name, 'tickets.csv'), path.join(dir, 'tickets.csv'));
  const config = JSON.parse(readFileSync(path.join(fixtures, name, 'pulse.config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  config.lake = './lake';
  change(config);
  const file = path.join(dir, 'pulse.config.json');
  writeFileSync(file, JSON.stringify(config));
  return { dir, file };
}

const firstSource = (config: Record<string, unknown>) => (config.sources as Record<string, unknown>[])[0]!;

describe('pulse check-config', () => {
  it('shows the worked example (a Zendesk export) through its mapping, and writes nothing (0)', async () => {
    const { dir, file } = copyFixture('zendesk-export');

    const code = await main(['check-config', file], io);

    const text = cli.out();
    expect(code).toBe(0);
    expect(text).toContain('pulse.config.json: valid.');
    expect(text).toMatch(/files \(1\): tickets\.csv \(\d+\.\d KB\)/);
    expect(text).toMatch(/mapping \(header of tickets\.csv, 24 columns\):/);
    expect(text).toMatch(/^ {4}id +← Id$/m);
    expect(text).toMatch(/^ {4}created_at +← Created at$/m);
    expect(text).toContain('first 5 rows as canonical records:');
    expect(text).toContain('row 1 (tickets.csv line 2):');
    // "Web Form" through values.channel, 23:09 New York (EDT) as UTC, "Good" as 5.
    expect(text).toMatch(/^ {6}channel: +web$/m);
    expect(text).toMatch(/^ {6}created_at: +2026-10-18T03:09:00\.000Z$/m);
    expect(text).toMatch(/^ {6}satisfaction: +5$/m);
    expect(text).toMatch(/rejects in all \d+ rows: none/);
    expect(text.match(/^ {4}row \d+ \(/gm)).toHaveLength(5);
    expect(existsSync(path.join(dir, 'lake'))).toBe(false);
  });

  it('shows the golden fixture with its default (same-name) mapping (0)', async () => {
    const { dir, file } = copyFixture('golden');

    const code = await main(['check-config', file], io);

    const text = cli.out();
    expect(code).toBe(0);
    expect(text).toMatch(/^ {4}first_response_at +← first_response_at$/m);
    expect(text).toMatch(/^ {6}id: +T01$/m);
    expect(text).toMatch(/^ {6}first_response_at: +2026-10-05T09:00:00\.000Z$/m);
    expect(existsSync(path.join(dir, 'lake'))).toBe(false);
  });

  it('a mapped column not in the header names the column and the fix (2)', async () => {
    const { dir, file } = copyFixture('zendesk-export', (config) => {
      (firstSource(config).columns as Record<string, string>).created_at = 'Created';
    });

    const code = await main(['check-config', file], io);

    expect(code).toBe(2);
    expect(cli.out()).toContain('created_at        ← Created   ✗ not in the header');
    expect(cli.err()).toContain(
      'pulse: pulse.config.json: sources[0].columns.created_at: column "Created" is not in the header of tickets.csv: set it to "Created at"',
    );
    expect(cli.out()).not.toContain('valid.');
    expect(existsSync(path.join(dir, 'lake'))).toBe(false);
  });

  it('a pattern that matches no file names the source and the pattern (2)', async () => {
    const { dir, file } = copyFixture('golden', (config) => {
      firstSource(config).path = 'exports/*.csv';
    });

    const code = await main(['check-config', file], io);

    expect(code).toBe(2);
    expect(cli.err()).toMatch(
      /pulse\.config\.json: sources\[0\]\.path \(source "helpdesk"\): no file matches exports\/\*\.csv \(resolved from .*\): check the path, or the export's name/,
    );
    expect(existsSync(path.join(dir, 'lake'))).toBe(false);
  });

  it('shows a reject and a field issue with their reasons among the first rows (0: the mapping fits)', async () => {
    const { file, dir } = copyFixture('golden');
    writeFileSync(
      path.join(dir, 'tickets.csv'),
      'id,created_at,status,priority\nT1,2026-10-01T09:00:00Z,open,weird\nT2,yesterday,open,low\n',
    );

    const code = await main(['check-config', file], io);

    const text = cli.out();
    expect(code).toBe(0);
    expect(text).toMatch(/^ {6}priority: +normal {3}✗ field issue: unknown_value$/m);
    expect(text).toContain('row 2 (tickets.csv line 3): rejected, bad_timestamp (created_at):');
    expect(text).toMatch(/rejects in all 2 rows: 1\n {4}bad_timestamp 1, e\.g\. tickets\.csv line 3/);
  });

  it('lists an API source without opening it', async () => {
    const { file } = copyFixture('golden', (config) => {
      (config.sources as unknown[]).push({
        name: 'zd',
        type: 'zendesk',
        baseUrl: 'https://acme.zendesk.com',
        credentials: { email: 'env:ZD_EMAIL', token: 'env:ZD_TOKEN' },
      });
    });

    expect(await main(['check-config', file], io)).toBe(0);
    expect(cli.out()).toContain('Source zd: zendesk → tickets, surveys\n  not opened (API source)');
  });

  it('previews a cost ledger as a run reads it: a row in another currency than the config is rejected', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pulse-check-'));
    writeFileSync(
      path.join(dir, 'costs.csv'),
      [
        'period,cost_center,category,amount,currency',
        '2026-10,support,tooling,300,EUR',
        '2026-10,support,tooling,200,',
        '',
      ].join('\n'),
    );
    const file = path.join(dir, 'pulse.config.json');
    writeFileSync(
      file,
      JSON.stringify({
        lake: './lake',
        currency: 'USD',
        sources: [{ name: 'ledger', type: 'csv', entity: 'costs', path: 'costs.csv' }],
      }),
    );

    const code = await main(['check-config', file], io);

    const text = cli.out();
    expect(code).toBe(0);
    expect(text).toContain('currency_mismatch 1');
    // The row without a currency takes the config's, as a run does.
    expect(text).toMatch(/^ {6}currency: +USD$/m);
  });
});
