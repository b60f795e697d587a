import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
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
  afterEach(() => vi.unstubAllEnvs());

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

  it('most rows rejected as bad_timestamp: exit 2, naming the field and the dateFormat key to set', async () => {
    // A German export: every created_at is dd.MM.yyyy HH:mm, which no run reads without dateFormat.
    const { file, dir } = copyFixture('golden');
    writeFileSync(
      path.join(dir, 'tickets.csv'),
      'id,created_at,status\nT1,01.10.2026 09:00,open\nT2,02.10.2026 10:30,open\nT3,03.10.2026 11:45,open\n',
    );

    const code = await main(['check-config', file], io);

    expect(code).toBe(2);
    expect(cli.out()).not.toContain('valid.');
    expect(cli.err()).toContain(
      'pulse.config.json: sources[0].dateFormat: all 3 sample rows fail as bad_timestamp in created_at: ' +
        'set "dateFormat" to the export\'s notation in Luxon tokens',
    );
    expect(cli.err()).toContain('the file has "01.10.2026 09:00", "02.10.2026 10:30", "03.10.2026 11:45"');
  });

  it('most rows with a field issue for one field and reason: the hint for that reason (decimal, values)', async () => {
    // 2 of 3 handle_seconds are 90,5-style decimals (bad_number), 3 of 3 channels are unmapped ("Telefon").
    const { file, dir } = copyFixture('golden');
    writeFileSync(
      path.join(dir, 'tickets.csv'),
      [
        'id,created_at,status,channel,handle_seconds',
        'T1,2026-10-01T09:00:00Z,open,Telefon,"90,5"',
        'T2,2026-10-01T10:00:00Z,open,Telefon,"120,25"',
        'T3,2026-10-01T11:00:00Z,open,Telefon,60',
        '',
      ].join('\n'),
    );

    expect(await main(['check-config', file], io)).toBe(2);
    // The worst one is named: channel fails on all 3 rows, handle_seconds on 2.
    expect(cli.err()).toMatch(
      /sources\[0\]\.values\.channel: all 3 sample rows fail as unknown_value in channel: add a "values" entry .*"values": \{"channel": \{"Telefon": "\w+"\}\}/,
    );

    writeFileSync(
      path.join(dir, 'tickets.csv'),
      'id,created_at,status,handle_seconds\nT1,2026-10-01T09:00:00Z,open,"90,5"\nT2,2026-10-01T10:00:00Z,open,"120,25"\n',
    );
    expect(await main(['check-config', file], io)).toBe(2);
    expect(cli.err()).toMatch(
      /sources\[0\]\.decimal: all 2 sample rows fail as bad_number in handle_seconds: set "decimal" .*the file has "90,5", "120,25"/,
    );
  });

  it('most rows not UTF-8 (a windows-1252 export): exit 2 with the encoding key to set', async () => {
    const { file, dir } = copyFixture('golden');
    // "Réclamation", "Prévente", "Änderung" as windows-1252 bytes (é 0xE9, Ä 0xC4): not valid UTF-8.
    writeFileSync(
      path.join(dir, 'tickets.csv'),
      Buffer.from(
        'id,created_at,status,category\nT1,2026-10-01T09:00:00Z,open,R\xe9clamation\n' +
          'T2,2026-10-01T10:00:00Z,open,Pr\xe9vente\nT3,2026-10-01T11:00:00Z,open,\xc4nderung\n',
        'latin1',
      ),
    );

    expect(await main(['check-config', file], io)).toBe(2);
    expect(cli.err()).toContain(
      'pulse.config.json: sources[0].encoding: all 3 sample rows fail as bad_encoding: set "encoding" to the export\'s (one of utf-8,',
    );
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

    vi.stubEnv('ZD_EMAIL', 'ops@example.com');
    vi.stubEnv('ZD_TOKEN', 'not-a-real-token');
    expect(await main(['check-config', file], io)).toBe(0);
    expect(cli.out()).toContain('Source zd: zendesk → tickets, surveys\n  not opened (API source)');
    expect(cli.out()).toContain('sources[1].credentials.token (env:ZD_TOKEN): resolved');
    expect(cli.out()).not.toContain('not-a-real-token');
  });

  it('names every secret reference it cannot resolve: unset env: variables of an API source and of SMTP (2)', async () => {
    const { file } = copyFixture('golden', (config) => {
      (config.sources as unknown[]).push({
        name: 'zd',
        type: 'zendesk',
        baseUrl: 'https://acme.zendesk.com',
        credentials: { email: 'env:PULSE_TEST_ZD_EMAIL', token: 'env:PULSE_TEST_ZD_TOKEN' },
      });
      config.mail = {
        transport: 'smtp',
        from: 'pulse@example.com',
        host: 'smtp.example.com',
        user: 'pulse',
        password: 'env:PULSE_TEST_SMTP',
      };
    });
    vi.stubEnv('PULSE_TEST_ZD_EMAIL', 'ops@example.com');
    vi.stubEnv('PULSE_TEST_ZD_TOKEN', undefined);
    vi.stubEnv('PULSE_TEST_SMTP', '');

    expect(await main(['check-config', file], io)).toBe(2);
    expect(cli.out()).not.toContain('valid.');
    expect(cli.err()).toContain(
      'pulse.config.json: sources[1].credentials.token: env:PULSE_TEST_ZD_TOKEN: the environment variable PULSE_TEST_ZD_TOKEN is not set',
    );
    expect(cli.err()).toContain(
      'pulse.config.json: mail.password: env:PULSE_TEST_SMTP: the environment variable PULSE_TEST_SMTP is empty',
    );
    expect(cli.err()).not.toContain('credentials.email');
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
