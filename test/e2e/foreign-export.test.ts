import { cpSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.ts';
import type { KpiReport, MeasuredKpi } from '../../functions/kpis/types.ts';

/**
 * `pulse run` on an export nobody wrote for Pulse: a ticket CSV in the shape of Zendesk's
 * "export view as CSV" (its headers, quoting, CRLF, local-time "YYYY-MM-DD HH:MM" stamps,
 * "Good"/"Bad"/"Offered" satisfaction), mapped only by config. The expected numbers are
 * computed here straight from the file, by string comparison of its local timestamps,
 * without any Pulse code.
 */
const fixture = path.resolve(import.meta.dirname, '../fixtures/zendesk-export');
// The worked example writes its lake inside its own folder (./lake): run a copy of it.
const dir = path.resolve(import.meta.dirname, '../../.tmp/zendesk-export');
const lake = path.join(dir, 'lake');
type ZendeskRow = Record<string, string>;
const rows: ZendeskRow[] = parse(readFileSync(path.join(fixture, 'tickets.csv')), { columns: true });

let report: KpiReport;
const kpi = (id: string) => report.kpis[id] as MeasuredKpi;

beforeAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  cpSync(fixture, dir, { recursive: true });
  const out: string[] = [];
  const code = await main(
    [
      'run',
      '--config',
      path.join(dir, 'pulse.config.json'),
      '--period',
      '2026-10',
      '--json',
      '--stages',
      'extract,curate,marts,evaluate',
    ],
    { out: (s) => void out.push(s) },
  );
  expect(code).toBe(0);
  expect(JSON.parse(out.join('')).stages.map((s: { stage: string }) => s.stage)).toEqual([
    'extract',
    'curate',
    'marts',
    'evaluate',
  ]);
  report = JSON.parse(readFileSync(path.join(lake, 'reports/2026-10/kpis.json'), 'utf8'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a Zendesk-shaped CSV export, mapped by config', () => {
  const inOctober = (stamp: string) => stamp.startsWith('2026-10');
  const created = rows.filter((r) => inOctober(r['Created at']!));
  const solved = rows.filter((r) => inOctober(r['Solved at']!));
  const rated = solved.filter((r) => r['Satisfaction Score'] === 'Good' || r['Satisfaction Score'] === 'Bad');

  it('has data in the period to compare (the fixture is not trivial)', () => {
    expect(created.length).toBeGreaterThan(20);
    expect(solved.length).toBeGreaterThan(10);
    expect(rated.length).toBeGreaterThan(3);
  });

  it('reads every row and accepts them all', () => {
    expect(report.dataQuality.sources[0]).toMatchObject({
      rowsRead: rows.length,
      rowsAccepted: rows.length,
      rowsRejected: 0,
    });
  });

  it('reproduces the counts', () => {
    expect(kpi('tickets_created').value).toBe(created.length);
    expect(kpi('tickets_solved').value).toBe(solved.length);
    const open = rows.filter(
      (r) => r['Created at']! < '2026-11-01 00:00' && !(r['Solved at'] && r['Solved at'] < '2026-11-01 00:00'),
    );
    expect(kpi('backlog_open').value).toBe(open.length);
    const byChannel: Record<string, number> = {};
    const channelOf: Record<string, string> = {
      'Web Form': 'web',
      Email: 'email',
      Chat: 'chat',
      'Phone call (incoming)': 'phone',
      API: 'api',
    };
    for (const r of created) byChannel[channelOf[r.Via!]!] = (byChannel[channelOf[r.Via!]!] ?? 0) + 1;
    expect(kpi('tickets_created').breakdowns.channel).toEqual(byChannel);
  });

  it('reproduces the rates', () => {
    expect(kpi('reopen_rate').value).toBeCloseTo(
      solved.filter((r) => Number(r.Reopens) > 0).length / solved.length,
      12,
    );
    expect(kpi('one_touch_rate').value).toBeCloseTo(
      solved.filter((r) => Number(r.Replies) < 2).length / solved.length,
      12,
    );
    expect(kpi('replies_per_solved_ticket').value).toBeCloseTo(
      solved.reduce((s, r) => s + Number(r.Replies), 0) / solved.length,
      12,
    );
    expect(kpi('csat').value).toBeCloseTo(
      rated.filter((r) => r['Satisfaction Score'] === 'Good').length / rated.length,
      12,
    );
    expect(kpi('csat').stats.responseRate).toBeCloseTo(rated.length / solved.length, 12);
  });
});
