import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.ts';
import type { KpiReport } from '../../functions/kpis/types.ts';
import { nextLink } from '../../functions/sources/freshdesk/freshdesk.ts';
import { curate } from '../../functions/stages/curate.ts';
import { extract } from '../../functions/stages/extract.ts';
import { connectorContext, curatedTickets, lakeText, writeConnectorConfig } from '../support/connectorLake.ts';
import { freshdeskAccount, freshdeskServer, type FreshdeskAccount } from '../support/freshdeskReplay.ts';
import type { ReplayServer } from '../support/replayServer.ts';

/**
 * The Freshdesk connector against a replayed Freshdesk: 30,100 tickets, past the list's page cap
 * of 300 (a restart from the last updated_at, its duplicates merged), deleted tickets from
 * filter=deleted, ratings on Freshdesk's scale; faults change nothing; pulse run's kpis.json
 * counts match the replayed records.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'pulse-freshdesk-'));
const apiKey = 'fd-key-8a7b6c5d4e';
process.env.PULSE_TEST_FD_KEY = apiKey;
let account: FreshdeskAccount;
let server: ReplayServer;

beforeAll(async () => {
  account = freshdeskAccount(30_100);
  server = await freshdeskServer(account).start();
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const source = () => ({
  name: 'fd',
  type: 'freshdesk',
  baseUrl: server.url,
  credentials: { apiKey: 'env:PULSE_TEST_FD_KEY' },
  startDate: '2026-09-01',
  requestsPerMinute: 100_000,
});
let clean: Awaited<ReturnType<typeof curatedTickets>>;

describe('the Freshdesk connector', () => {
  it('reads the Link header', () => {
    expect(nextLink('<https://acme.freshdesk.com/api/v2/tickets?page=2&per_page=100>; rel="next"')).toBe(
      'https://acme.freshdesk.com/api/v2/tickets?page=2&per_page=100',
    );
    expect(nextLink(null)).toBeNull();
  });

  it('pages past the 300-page cap by restarting from the last updated_at, and lands every ticket once', async () => {
    const ctx = await connectorContext(writeConnectorConfig(dir, 'clean', source()));
    server.requests.length = 0;
    await extract(ctx);
    await curate(ctx);
    clean = await curatedTickets(ctx);
    const lists = server.requests.filter((r) => r.path === '/api/v2/tickets' && !r.query.has('filter'));
    expect(lists.filter((r) => r.query.get('page') === '1')).toHaveLength(2);
    expect(Math.max(...lists.map((r) => Number(r.query.get('page'))))).toBe(300);
    for (const r of lists)
      expect(
        r.query.get('order_by') === 'updated_at' &&
          r.query.get('order_type') === 'asc' &&
          r.query.get('include') === 'stats' &&
          r.query.get('per_page') === '100',
      ).toBe(true);
    const restart = lists.filter((r) => r.query.get('page') === '1')[1]!;
    const sorted = [...account.tickets].sort(
      (a, b) =>
        Date.parse(a.updated_at as string) - Date.parse(b.updated_at as string) || (a.id as number) - (b.id as number),
    );
    expect(restart.query.get('updated_since')).toBe(
      new Date(Date.parse(sorted[29_999]!.updated_at as string)).toISOString(),
    );
    expect(lists[0]!.headers.authorization).toBe(`Basic ${Buffer.from(`${apiKey}:X`).toString('base64')}`);
    // Every ticket once; the deleted ones gone from curated.
    expect(clean).toHaveLength(account.tickets.length);
    expect(new Set(clean.map((t) => t.id)).size).toBe(account.tickets.length);
    expect(server.requests.some((r) => r.query.get('filter') === 'deleted')).toBe(true);
    const byId = new Map(clean.map((t) => [Number(t.id), t]));
    for (const d of account.deleted) expect(byId.has(d.id as number)).toBe(false);
    // Codes as CONNECTORS.md maps them.
    expect(byId.get(1)).toMatchObject({
      status: 'pending',
      priority: 'normal',
      channel: 'web',
      category: 'question',
      customer_id: '101',
      assignee_id: '201',
      is_escalated: false,
      reopens: 0,
    });
    expect(byId.get(2)).toMatchObject({ status: 'solved', priority: 'high', channel: 'phone', category: 'incident' });
    // Status 7 is the account's own: pending. Source 9 (feedback widget) is web.
    expect(byId.get(4)).toMatchObject({
      status: 'pending',
      priority: 'low',
      channel: 'web',
      category: 'incident',
      assignee_id: '200',
    });
    expect(byId.get(9)).toMatchObject({ is_escalated: true, status: 'pending' });
    expect(byId.get(10)).toMatchObject({ reopens: 1, status: 'open', first_response_at: null });
    expect(byId.get(3)).toMatchObject({ status: 'closed', assignee_id: null });
    expect(byId.get(6)).toMatchObject({ channel: 'other' });
    const t8 = account.tickets.find((t) => t.id === 8)!;
    // Resolved, else closed: ticket 8 has both; a ticket closed without a resolve would take closed_at.
    expect(String(byId.get(8)!.solved_at)).toBe(
      String((t8.stats as { resolved_at: string }).resolved_at)
        .replace('T', ' ')
        .replace('Z', ''),
    );
    const ratings = await ctx.engine.query('select score, count(*) as n from surveys group by score order by score');
    expect(ratings).toEqual([
      { score: 1, n: 1 },
      { score: 2, n: 3 },
      { score: 3, n: 2 },
      { score: 4, n: 4 },
      { score: 5, n: 2 },
    ]);
    expect(lakeText(path.join(dir, 'clean', 'lake'))).not.toContain(apiKey);
    await ctx.engine.close();
  }, 120_000);

  it('lands the same tickets through a 429, a 500, a reset and a cut body', async () => {
    const ctx = await connectorContext(writeConnectorConfig(dir, 'faults', source()));
    server.fail(
      /^\/api\/v2\/tickets$/,
      { kind: 'status', status: 429, headers: { 'Retry-After': '1' }, body: '' },
      { kind: 'status', status: 500, body: '{"code":"internal_error"}' },
      { kind: 'reset' },
      { kind: 'truncated' },
    );
    await extract(ctx);
    await curate(ctx);
    expect(await curatedTickets(ctx)).toEqual(clean);
    expect(server.pendingFaults()).toBe(0);
    await ctx.engine.close();
  }, 120_000);
});

describe('pulse run with a Freshdesk source', () => {
  it('produces kpis.json whose counts match the replayed records', async () => {
    const small = freshdeskAccount(600);
    const own = await freshdeskServer(small).start();
    try {
      const file = writeConnectorConfig(dir, 'run', { ...source(), baseUrl: own.url });
      const out: string[] = [];
      expect(
        await main(['run', '--config', file, '--period', '2026-10', '--json'], { out: (s) => void out.push(s) }),
        out.join(''),
      ).toBe(0);
      const report = JSON.parse(
        readFileSync(path.join(dir, 'run', 'lake', 'reports', '2026-10', 'kpis.json'), 'utf8'),
      ) as KpiReport;
      expect(report.kpis.tickets_created!.value).toBe(
        small.tickets.filter((t) => (t.created_at as string).startsWith('2026-10')).length,
      );
      const escalated = small.tickets.filter(
        (t) => t.is_escalated && (t.created_at as string).startsWith('2026-10'),
      ).length;
      expect(report.kpis.escalation_rate!.value).toBeCloseTo(escalated / report.kpis.tickets_created!.value!, 12);
      const october = small.ratings.filter((r) => (r.created_at as string).startsWith('2026-10'));
      const satisfied = october.filter((r) =>
        [103, 102, 101].includes((r.ratings as { default_question: number }).default_question),
      ).length;
      expect(report.kpis.csat!.value).toBeCloseTo(satisfied / october.length, 12);
    } finally {
      await own.stop();
    }
  }, 60_000);
});
