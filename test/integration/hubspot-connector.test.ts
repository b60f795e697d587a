import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.ts';
import type { KpiReport } from '../../functions/kpis/types.ts';
import { curate } from '../../functions/stages/curate.ts';
import { extract } from '../../functions/stages/extract.ts';
import { connectorContext, curatedTickets, lakeText, writeConnectorConfig } from '../support/connectorLake.ts';
import { hubspotAccount, hubspotServer, type HubspotAccount } from '../support/hubspotReplay.ts';
import type { ReplayServer } from '../support/replayServer.ts';

/**
 * The HubSpot connector against a replayed HubSpot: 10,050 tickets, past search's 10,000-result
 * cap by a new search from the last modification seen; open or closed from the pipeline stages'
 * ticketState; archived tickets marked deleted; feedback submissions as surveys; faults change
 * nothing; pulse run's kpis.json counts match the replayed records.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'pulse-hubspot-'));
const token = 'pat-na1-0b1c2d3e-4f5a';
process.env.PULSE_TEST_HS_TOKEN = token;
let account: HubspotAccount;
let server: ReplayServer;

beforeAll(async () => {
  account = hubspotAccount(10_053);
  server = await hubspotServer(account).start();
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const source = (baseUrl = server.url) => ({
  name: 'hs',
  type: 'hubspot',
  baseUrl,
  credentials: { token: 'env:PULSE_TEST_HS_TOKEN' },
  startDate: '2026-09-01',
  requestsPerMinute: 100_000,
});
let clean: Awaited<ReturnType<typeof curatedTickets>>;

describe('the HubSpot connector', () => {
  it('moves the search window at the 10,000-result cap and lands every ticket once, mapped by its stage', async () => {
    const ctx = await connectorContext(writeConnectorConfig(dir, 'clean', source()));
    server.requests.length = 0;
    await extract(ctx);
    await curate(ctx);
    clean = await curatedTickets(ctx);
    const searches = server.requests
      .filter((r) => r.path === '/crm/v3/objects/tickets/search')
      .map((r) => JSON.parse(r.body));
    const windows = [...new Set(searches.map((b) => b.filterGroups[0].filters[0].value))];
    expect(windows).toHaveLength(2);
    expect(windows[0]).toBe(String(Date.parse('2026-09-01T00:00:00Z')));
    // No request past the cap: the last `after` of the first window is 9,900.
    expect(Math.max(...searches.map((b) => Number(b.after ?? 0)))).toBe(9_900);
    const sorted = [...account.tickets].sort(
      (a, b) =>
        Date.parse(a.properties.hs_lastmodifieddate!) - Date.parse(b.properties.hs_lastmodifieddate!) ||
        Number(a.id) - Number(b.id),
    );
    expect(windows[1]).toBe(String(Date.parse(sorted[9_999]!.properties.hs_lastmodifieddate!)));
    for (const b of searches)
      expect(b.sorts).toEqual([{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }]);
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${token}`);
    expect(server.requests.some((r) => r.path === '/crm/v3/pipelines/tickets')).toBe(true);
    expect(clean).toHaveLength(account.tickets.length);
    const byId = new Map(clean.map((t) => [String(t.id), t]));
    for (const a of account.archived) expect(byId.has(a.id)).toBe(false);
    expect(byId.get('1003')).toMatchObject({
      status: 'closed',
      priority: 'urgent',
      channel: 'chat',
      category: 'product_issue',
      assignee_id: null,
      group_id: '77',
      customer_id: null,
      reopens: 0,
    });
    expect(String(byId.get('1003')!.solved_at)).toBe(String(byId.get('1003')!.closed_at));
    expect(byId.get('1004')).toMatchObject({
      status: 'open',
      priority: 'normal',
      channel: 'other',
      assignee_id: '41',
      solved_at: null,
    });
    expect(byId.get('1005')).toMatchObject({
      status: 'open',
      priority: 'low',
      channel: 'email',
      first_response_at: null,
    });
    const surveys = await ctx.engine.query(
      'select kind, list(score order by answered_at) as scores from surveys group by kind order by kind',
    );
    expect(surveys.map((s) => `${s.kind} ${s.scores}`)).toEqual(['ces [5, 4, 3]', 'csat [5, 1, 3]', 'nps [9, 6, 3]']);
    expect(lakeText(path.join(dir, 'clean', 'lake'))).not.toContain(token);
    await ctx.engine.close();
  }, 120_000);

  it("lands the same tickets through a 429 (HubSpot's body and Retry-After), a 502 and a cut body", async () => {
    const ctx = await connectorContext(writeConnectorConfig(dir, 'faults', source()));
    server.fail(
      /\/search$/,
      {
        kind: 'status',
        status: 429,
        headers: { 'Retry-After': '1', 'X-HubSpot-RateLimit-Remaining': '0' },
        body: JSON.stringify({
          status: 'error',
          message: 'You have reached your secondly limit.',
          errorType: 'RATE_LIMIT',
          policyName: 'SECONDLY',
        }),
      },
      { kind: 'status', status: 502, body: '<html>Bad gateway</html>' },
      { kind: 'truncated' },
    );
    await extract(ctx);
    await curate(ctx);
    expect(await curatedTickets(ctx)).toEqual(clean);
    expect(server.pendingFaults()).toBe(0);
    await ctx.engine.close();
  }, 120_000);
});

describe('pulse run with a HubSpot source', () => {
  it('produces kpis.json whose counts match the replayed records, and says what HubSpot cannot feed', async () => {
    const small = hubspotAccount(303);
    const own = await hubspotServer(small).start();
    try {
      const file = writeConnectorConfig(dir, 'run', source(own.url));
      const out: string[] = [];
      expect(
        await main(['run', '--config', file, '--period', '2026-10', '--json'], { out: (s) => void out.push(s) }),
        out.join(''),
      ).toBe(0);
      const report = JSON.parse(
        readFileSync(path.join(dir, 'run', 'lake', 'reports', '2026-10', 'kpis.json'), 'utf8'),
      ) as KpiReport;
      expect(report.kpis.tickets_created!.value).toBe(
        small.tickets.filter((t) => t.properties.createdate!.startsWith('2026-10')).length,
      );
      expect(report.kpis.tickets_solved!.value).toBe(
        small.tickets.filter(
          (t) => t.properties.hs_pipeline_stage === '4' && t.properties.closed_date!.startsWith('2026-10'),
        ).length,
      );
      // CSAT: 5, 1 and 3 answered in October: one of three is 4-5. NPS: 9, 6, 3 → (1 − 2) ÷ 3.
      expect(report.kpis.csat!.value).toBeCloseTo(1 / 3, 12);
      expect(report.kpis.nps!.value).toBeCloseTo((100 * (1 - 2)) / 3, 9);
      expect(report.kpis.reopen_rate).toMatchObject({
        status: 'not_measured',
        notMeasured: expect.stringMatching(/^needs tickets\.reopens: no source fills it \(hubspot "hs" cannot/),
      });
      expect(report.kpis.escalation_rate!.status).toBe('not_measured');
    } finally {
      await own.stop();
    }
  }, 60_000);
});
