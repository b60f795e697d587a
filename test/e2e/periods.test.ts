import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.ts';
import type { KpiReport, MeasuredKpi } from '../../functions/kpis/types.ts';
import { captureCli } from '../support/cliOutput.ts';

/**
 * Periods through the CLI on a fixed clock: 6 December 2026, 10:00 in Berlin. The helpdesk's
 * tickets (test/fixtures/periods/tickets.csv) start in September 2026:
 *
 *   S1 created 10 Sep, solved 10 Sep
 *   N1 created  2 Nov, solved  2 Nov     N3 created 20 Nov, solved 21 Nov
 *   N2 created  5 Nov, solved 20 Nov     N4 created 25 Nov, open
 *   D1 created  1 Dec, solved  1 Dec     D3 created  5 Dec, open
 *   D2 created  3 Dec, solved  4 Dec
 */
const fixture = path.resolve(import.meta.dirname, '../fixtures/periods');
const root = path.resolve(import.meta.dirname, '../../.tmp/periods');
const lake = path.join(root, 'lake');
const config = path.join(root, 'pulse.config.json');
const cli = captureCli();
const io = { ...cli.io, now: () => new Date('2026-12-06T09:00:00Z') };

const report = (period: string) =>
  JSON.parse(readFileSync(path.join(lake, 'reports', period, 'kpis.json'), 'utf8')) as KpiReport;
const kpi = (r: KpiReport, id: string) => r.kpis[id] as MeasuredKpi;
async function mail(period: string) {
  const dir = path.join(lake, 'outbox', period, 'executive');
  return simpleParser(readFileSync(path.join(dir, readdirSync(dir)[0]!)));
}

beforeAll(() => {
  rmSync(root, { recursive: true, force: true });
  cpSync(fixture, root, { recursive: true });
});

describe('a month that has not ended', () => {
  it('is refused with exit 2, naming when it ends in the business zone, and nothing is reported', async () => {
    expect(await main(['run', '--config', config, '--period', '2026-12'], io)).toBe(2);
    expect(cli.err()).toContain(
      'pulse: period 2026-12 (December 2026) has not ended: it ends 1 Jan 2027 00:00 Europe/Berlin. ' +
        'Run it then, or pass --partial for a report to date (through 6 Dec 2026)',
    );
    expect(existsSync(path.join(lake, 'reports'))).toBe(false);
    expect(await main(['run', '--config', config, '--period', '2026-Q4'], io)).toBe(2);
    expect(cli.err()).toContain('period 2026-Q4 (Q4 2026) has not ended: it ends 1 Jan 2027 00:00 Europe/Berlin');
  });

  it('with --partial reports 1–6 December against 1–6 November, and last year as no data', async () => {
    expect(await main(['run', '--config', config, '--period', '2026-12', '--partial'], io)).toBe(0);
    const r = report('2026-12-to-2026-12-06');
    expect(r.period).toMatchObject({
      label: 'December 2026, month to date, through 6 Dec 2026',
      end: '2026-12-07',
      partial: { through: '2026-12-06' },
    });
    // Created 1–6 Dec: D1, D2, D3 = 3; 1–6 Nov: N1, N2 = 2 (all of November: 4). No data before September.
    expect(kpi(r, 'tickets_created')).toMatchObject({ value: 3, previous: 2, change: 1, lastYear: null });
    expect(kpi(r, 'tickets_created').changeLastYear).toBeNull();
    // Solved 1–6 Dec: D1, D2 = 2; 1–6 Nov: N1 = 1 (N2 was solved on 20 Nov; all of November: 3).
    expect(kpi(r, 'tickets_solved')).toMatchObject({ value: 2, previous: 1, change: 1, lastYear: null });
    // Open at the end of 6 Dec: N4, D3 = 2; at the end of 6 Nov: N2 = 1.
    expect(kpi(r, 'backlog_open')).toMatchObject({ value: 2, previous: 1, lastYear: null });
    // A forecast reads a whole month: none to date.
    expect(r.forecast).toBeNull();

    const sent = await mail('2026-12-to-2026-12-06');
    expect(sent.subject).toBe('Customer service scorecard — December 2026, month to date, through 6 Dec 2026');
    // 3 against 2 tickets: +1, which is +50% of 2 (a count changes in percent and in the unit).
    expect(sent.text).toMatch(/Tickets created\s+3\s+.*\+50% \(\+1\) vs 1–6 Nov 2026, no data for 1–6 Dec 2025/);
    expect(sent.html).toContain('no data for 1–6 Dec 2025');
  });
});

describe('a finance audience of a period to date', () => {
  it('is withheld, since it compares whole months; the scorecard still goes, and the run exits 1', async () => {
    const withFinance = path.join(root, 'finance.config.json');
    const base = JSON.parse(readFileSync(config, 'utf8')) as { audiences: object[] };
    const audiences = [...base.audiences, { name: 'finance', recipients: ['cfo@example.com'] }];
    writeFileSync(withFinance, JSON.stringify({ ...base, audiences }));
    const clock = { ...io, now: () => new Date('2026-12-06T15:00:00Z') };
    expect(await main(['run', '--config', withFinance, '--period', '2026-12', '--partial'], clock)).toBe(1);
    expect(cli.err()).toContain(
      'The finance report for December 2026, month to date, through 6 Dec 2026 is withheld: ' +
        'it compares whole months, and the period has not ended',
    );
    expect(existsSync(path.join(lake, 'outbox/2026-12-to-2026-12-06/finance'))).toBe(false);
    expect(readdirSync(path.join(lake, 'outbox/2026-12-to-2026-12-06/executive'))).toHaveLength(1);
  });
});

describe('comparisons with months before the data starts', () => {
  it('are null and the mail says "no data"; history before September is null, not 0', async () => {
    expect(await main(['run', '--config', config, '--period', '2026-11'], io)).toBe(0);
    const r = report('2026-11');
    expect(r.period.partial).toBeUndefined();
    // November 2025 has no ticket: last year is no data; the open backlog is not "+3 vs Nov 2025".
    // Open at the end of November: N4 = 1.
    expect(kpi(r, 'backlog_open')).toMatchObject({ value: 1, lastYear: null, changeLastYear: null });
    expect(kpi(r, 'tickets_created')).toMatchObject({ value: 4, lastYear: null, changeLastYear: null });
    // October lies inside the data (September to December) but holds no ticket: the queries
    // measure no row for it, as before (null); the mail says so.
    expect(kpi(r, 'tickets_created')).toMatchObject({ previous: null, change: null });
    const history = Object.fromEntries(kpi(r, 'tickets_created').history.map((p) => [p.month, p.value]));
    expect(history).toMatchObject({ '2025-11': null, '2026-08': null, '2026-09': 1, '2026-11': 4 });

    const sent = await mail('2026-11');
    expect(sent.text).toMatch(/Tickets created\s+4\s+.*no data for Oct 2026, no data for Nov 2025/);
    expect(sent.html).toContain('no data for Nov 2025');
    expect(sent.html).not.toContain('vs Nov 2025');
  });
});
