import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../functions/cli/main.ts';

/**
 * Never a blank or silently stale report, through the CLI: the golden catalog (October 2026)
 * copied to a folder of its own, with owners. Its freshest ticket is 2026-10-08, 24 days before
 * October's end, so October is stale; March 2027 has no data at all.
 */
const fixture = path.resolve(import.meta.dirname, '../fixtures/golden-catalog');
const root = path.resolve(import.meta.dirname, '../../.tmp/report-guard');
const lake = path.join(root, 'lake');
let err: string[];
// A clock after March 2027 has ended: a period not yet ended is refused (periodAt).
const io = { out: (_s: string) => undefined, now: () => new Date('2027-04-02T08:00:00Z') };

function writeConfig(definitions: Record<string, unknown> = {}): string {
  const config = JSON.parse(readFileSync(path.join(fixture, 'pulse.config.json'), 'utf8')) as Record<string, unknown>;
  const file = path.join(root, 'pulse.config.json');
  writeFileSync(
    file,
    JSON.stringify({
      ...config,
      lake: './lake',
      owners: ['owner@example.com'],
      definitions: { ...(config.definitions as object), ...definitions },
      audiences: [
        { name: 'executive', recipients: ['ceo@example.com'] },
        // A second audience of the same report: its reason is the executive's, said once.
        { name: 'board', report: 'executive', recipients: ['board@example.com'] },
        { name: 'finance', recipients: ['cfo@example.com'] },
      ],
    }),
  );
  return file;
}

const outbox = (period: string, audience: string) => {
  const dir = path.join(lake, 'outbox', period, audience);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
};
/** The owners' alerts of a period (each keeps its own file in the outbox); the one asked for by subject start. */
async function ownerAlert(period: string, subject = '[Pulse] Reports for') {
  const dir = path.join(lake, 'outbox', period, '_owners');
  const alerts = await Promise.all(
    readdirSync(dir)
      .filter((f) => f.startsWith('owner@example.com'))
      .map((f) => simpleParser(readFileSync(path.join(dir, f)))),
  );
  const found = alerts.find((a) => a.subject?.startsWith(subject));
  if (!found) throw new Error(`no alert "${subject}…" among ${alerts.map((a) => a.subject).join('; ')}`);
  return found;
}

beforeEach(() => {
  rmSync(root, { recursive: true, force: true });
  cpSync(fixture, root, { recursive: true });
  err = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

describe('a period with no data', () => {
  it('sends nothing to recipients, tells the owners what is missing, and exits 1 with the same words', async () => {
    const config = writeConfig();
    expect(await main(['run', '--config', config, '--period', '2027-03'], io)).toBe(1);
    const words =
      'The executive scorecard for March 2027 is withheld: no tickets were created and none solved in March 2027';
    expect(err.join('')).toContain(words);
    expect(outbox('2027-03', 'executive')).toEqual([]);
    expect(outbox('2027-03', 'finance')).toEqual([]);
    expect(existsSync(path.join(lake, 'reports/2027-03/executive/message.eml'))).toBe(false);
    const alert = await ownerAlert('2027-03');
    expect(alert.subject).toBe('[Pulse] Reports for March 2027 withheld: no data');
    expect(alert.text).toContain('The finance report for March 2027 is withheld');
    expect(alert.text).toContain(words);
    // What is missing, source by source: the tickets export's rows and its freshest record.
    expect(alert.text).toContain(
      'source tickets (tickets): 4 rows read, 4 accepted, 0 rejected; freshest record 2026-10-06T09:00:00.000Z',
    );
    // Each report's reason once, in audience order, then what is missing, then the audiences.
    const lines = String(alert.text).trim().split('\n');
    expect(lines.slice(0, 3)).toEqual([
      words,
      'The finance report for March 2027 is withheld: no tickets were created and none solved in March 2027',
      'source tickets (tickets): 4 rows read, 4 accepted, 0 rejected; freshest record 2026-10-06T09:00:00.000Z',
    ]);
    expect(lines.at(-1)).toBe('Audiences: executive, board, finance');
  });
});

describe('a stale source', () => {
  it('puts its banner on every report and alerts the owners, and the reports still go out', async () => {
    const config = writeConfig();
    expect(await main(['run', '--config', config, '--period', '2026-10'], io)).toBe(0);
    expect(outbox('2026-10', 'executive')).toEqual(['ceo@example.com.eml']);
    expect(outbox('2026-10', 'finance')).toEqual(['cfo@example.com.eml']);
    for (const audience of ['executive', 'finance']) {
      const mail = await simpleParser(
        readFileSync(
          path.join(lake, 'outbox/2026-10', audience, `${audience === 'executive' ? 'ceo' : 'cfo'}@example.com.eml`),
        ),
      );
      expect(String(mail.html)).toContain(
        'Data may be incomplete: tickets (tickets) is stale: its freshest record is 2026-10-06T09:00:00.000Z, 25 days before the period&#39;s end.',
      );
      expect(mail.text).toContain('! Data may be incomplete: tickets (tickets) is stale');
    }
    const alert = await ownerAlert('2026-10');
    expect(alert.subject).toBe('[Pulse] Reports for October 2026 sent with stale data');
    expect(alert.text).toContain('Audiences: executive, board, finance');
  });

  it('with withholdStale, is withheld instead: nothing sent, the owners told, exit 1', async () => {
    const config = writeConfig({ withholdStale: true });
    expect(await main(['run', '--config', config, '--period', '2026-10'], io)).toBe(1);
    expect(err.join('')).toContain('is withheld (definitions.withholdStale): tickets (tickets) is stale');
    expect(outbox('2026-10', 'executive')).toEqual([]);
    expect((await ownerAlert('2026-10')).subject).toBe('[Pulse] Reports for October 2026 withheld: stale data');
  });
});
