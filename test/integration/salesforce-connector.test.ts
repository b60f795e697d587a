import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.ts';
import type { KpiReport } from '../../functions/kpis/types.ts';
import { curate } from '../../functions/stages/curate.ts';
import { extract } from '../../functions/stages/extract.ts';
import { connectorContext, curatedTickets, lakeText, writeConnectorConfig } from '../support/connectorLake.ts';
import type { ReplayServer } from '../support/replayServer.ts';
import { salesforceAccount, salesforceServer, type SalesforceAccount } from '../support/salesforceReplay.ts';

/**
 * The Salesforce connector against a replayed org: the client-credentials token, queryAll jobs
 * polled to JobComplete over 30-day SystemModstamp windows, CSV results paged by Sforce-Locator,
 * First Response milestones; an expired session renewed once; 403 REQUEST_LIMIT_EXCEEDED and a
 * Failed job stop with a clear message and are not retried; pulse run's kpis.json.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'pulse-salesforce-'));
let account: SalesforceAccount;
let server: ReplayServer & { jobCount(): number };

beforeAll(async () => {
  account = salesforceAccount(124);
  process.env.PULSE_TEST_SF_ID = account.clientId;
  process.env.PULSE_TEST_SF_SECRET = account.clientSecret;
  server = await salesforceServer(account).start();
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => server.clearFaults());

const source = (baseUrl = server.url) => ({
  name: 'sf',
  type: 'salesforce',
  baseUrl,
  credentials: { clientId: 'env:PULSE_TEST_SF_ID', clientSecret: 'env:PULSE_TEST_SF_SECRET' },
  startDate: '2026-09-15',
  requestsPerMinute: 100_000,
});
let clean: Awaited<ReturnType<typeof curatedTickets>>;

describe('the Salesforce connector', () => {
  it('runs queryAll jobs over SystemModstamp windows, pages their CSV by locator, and maps each Case', async () => {
    const ctx = await connectorContext(writeConnectorConfig(dir, 'clean', source()));
    server.requests.length = 0;
    await extract(ctx);
    await curate(ctx);
    clean = await curatedTickets(ctx);
    const token = server.requests.filter((r) => r.path === '/services/oauth2/token');
    expect(token).toHaveLength(1);
    expect(Object.fromEntries(new URLSearchParams(token[0]!.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: account.clientId,
      client_secret: account.clientSecret,
    });
    const jobs = server.requests
      .filter((r) => r.method === 'POST' && r.path.endsWith('/jobs/query'))
      .map((r) => JSON.parse(r.body));
    expect(jobs.map((j) => `${j.operation} ${/FROM (\w+)/.exec(j.query)![1]}`)).toEqual([
      'queryAll CaseMilestone',
      'queryAll Case',
      'queryAll CaseMilestone',
      'queryAll Case',
    ]);
    expect(jobs[1].query).toContain(
      'WHERE SystemModstamp >= 2026-09-15T00:00:00Z AND SystemModstamp < 2026-10-15T00:00:00Z',
    );
    expect(jobs[3].query).toContain(
      'WHERE SystemModstamp >= 2026-10-15T00:00:00Z AND SystemModstamp < 2026-11-02T06:00:00Z',
    );
    for (const j of jobs) expect(j).toMatchObject({ contentType: 'CSV', columnDelimiter: 'COMMA', lineEnding: 'LF' });
    // Results followed by locator until "null", 40 rows a page here.
    const results = server.requests.filter((r) => r.path.endsWith('/results'));
    expect(results.filter((r) => r.query.has('locator')).length).toBeGreaterThan(0);
    const live = account.cases.filter((c) => !c.IsDeleted);
    expect(clean).toHaveLength(live.length);
    const byId = new Map(clean.map((t) => [String(t.id), t]));
    for (const c of account.cases.filter((x) => x.IsDeleted)) expect(byId.has(c.Id)).toBe(false);
    const [c0, c1, c3, c4] = [account.cases[0]!, account.cases[1]!, account.cases[3]!, account.cases[4]!];
    // Case 0: closed (IsClosed), Low, Email, a user owner, a First Response milestone 40 minutes in.
    expect(byId.get(c0.Id)).toMatchObject({
      status: 'closed',
      priority: 'low',
      channel: 'email',
      category: 'question',
      assignee_id: c0.OwnerId,
      group_id: null,
      customer_id: c0.ContactId,
      is_escalated: true,
    });
    expect(String(byId.get(c0.Id)!.first_response_at)).toBe(
      new Date(Date.parse(c0.CreatedDate.replace('+0000', 'Z')) + 40 * 60_000)
        .toISOString()
        .replace('T', ' ')
        .replace('.000Z', ''),
    );
    expect(String(byId.get(c0.Id)!.solved_at)).toBe(String(byId.get(c0.Id)!.closed_at));
    // Case 1: Working (any open picklist value) → open, Medium → normal, no milestone.
    expect(byId.get(c1.Id)).toMatchObject({
      status: 'open',
      priority: 'normal',
      channel: 'web',
      category: 'problem',
      first_response_at: null,
      solved_at: null,
    });
    // Case 3: a queue owner → group_id; Critical → urgent.
    expect(byId.get(c3.Id)).toMatchObject({ priority: 'urgent', assignee_id: null, group_id: c3.OwnerId });
    // Case 4: no contact → the account; Social → other.
    expect(byId.get(c4.Id)).toMatchObject({ customer_id: c4.AccountId, channel: 'other', status: 'open' });
    expect(byId.get(account.cases[2]!.Id)).toMatchObject({ status: 'open' });
    expect(lakeText(path.join(dir, 'clean', 'lake'))).not.toContain(account.clientSecret);
    await ctx.engine.close();
  });

  it('renews an expired session once and goes on', async () => {
    const ctx = await connectorContext(writeConnectorConfig(dir, 'renew', source()));
    server.fail(/\/jobs\/query\/\w+$/, {
      kind: 'status',
      status: 401,
      body: JSON.stringify([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]),
    });
    const before = server.requests.length;
    await extract(ctx);
    await curate(ctx);
    expect(server.requests.slice(before).filter((r) => r.path === '/services/oauth2/token')).toHaveLength(2);
    expect(await curatedTickets(ctx)).toEqual(clean);
    await ctx.engine.close();
  });

  it('stops on 403 REQUEST_LIMIT_EXCEEDED with a clear message, without retrying', async () => {
    const ctx = await connectorContext(writeConnectorConfig(dir, 'limit', source()));
    server.fail(/\/jobs\/query$/, {
      kind: 'status',
      status: 403,
      headers: { 'Sforce-Limit-Info': 'api-usage=5000/5000' },
      body: JSON.stringify([{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]),
    });
    const before = server.requests.length;
    await expect(extract(ctx)).rejects.toThrow(
      /sources "sf": Salesforce POST .*\/jobs\/query: answered 403 REQUEST_LIMIT_EXCEEDED: the org's daily API request allowance is used up \(api-usage=5000\/5000\); the pull stops here/,
    );
    expect(server.requests.slice(before).filter((r) => r.path.endsWith('/jobs/query'))).toHaveLength(1);
    await ctx.engine.close();
  });

  it("stops with the job's own error when a Case job fails", async () => {
    const ctx = await connectorContext(writeConnectorConfig(dir, 'failed', source()));
    // The second job of the run is the first window's Case job.
    const caseJob = `750${String(server.jobCount() + 1).padStart(12, '0')}`;
    server.fail(new RegExp(`/jobs/query/${caseJob}$`), {
      kind: 'status',
      status: 200,
      body: JSON.stringify({
        id: caseJob,
        state: 'Failed',
        errorMessage: "INVALID_FIELD: No such column 'Foo__c' on entity 'Case'",
      }),
    });
    await expect(extract(ctx)).rejects.toThrow(
      `Salesforce query job ${caseJob} Failed: INVALID_FIELD: No such column 'Foo__c' on entity 'Case'`,
    );
    await ctx.engine.close();
  });
});

describe('pulse run with a Salesforce source', () => {
  it('produces kpis.json whose counts match the replayed records, and says what Salesforce cannot feed', async () => {
    const file = writeConnectorConfig(dir, 'run', source());
    const out: string[] = [];
    expect(
      await main(['run', '--config', file, '--period', '2026-10', '--json'], { out: (s) => void out.push(s) }),
      out.join(''),
    ).toBe(0);
    const report = JSON.parse(
      readFileSync(path.join(dir, 'run', 'lake', 'reports', '2026-10', 'kpis.json'), 'utf8'),
    ) as KpiReport;
    const live = account.cases.filter((c) => !c.IsDeleted);
    expect(report.kpis.tickets_created!.value).toBe(live.filter((c) => c.CreatedDate.startsWith('2026-10')).length);
    expect(report.kpis.escalation_rate!.value).toBeCloseTo(
      live.filter((c) => c.IsEscalated && c.CreatedDate.startsWith('2026-10')).length /
        report.kpis.tickets_created!.value!,
      12,
    );
    // Every First Response milestone is 40 minutes after creation.
    expect(report.kpis.first_reply_time!.value).toBe(2400);
    expect(report.kpis.reopen_rate!.status).toBe('not_measured');
    expect(report.kpis.csat).toMatchObject({
      status: 'not_measured',
      notMeasured: expect.stringMatching(/^needs tickets\.satisfaction/),
    });
  });
});
