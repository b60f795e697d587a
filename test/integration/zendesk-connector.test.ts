import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.ts';
import type { KpiReport } from '../../functions/kpis/types.ts';
import { curate } from '../../functions/stages/curate.ts';
import { extract } from '../../functions/stages/extract.ts';
import { connectorContext, curatedTickets, lakeText, writeConnectorConfig } from '../support/connectorLake.ts';
import type { ReplayServer } from '../support/replayServer.ts';
import { zendeskAccount, zendeskServer, type ZendeskAccount } from '../support/zendeskReplay.ts';

/**
 * The Zendesk connector against a local server replaying Zendesk's API shapes: paging to the end
 * of the stream, the metric sets, deleted tickets, ratings; 429 + Retry-After, 500s, a slow
 * answer, a body cut short and a page served twice change nothing in the curated tables; a crash
 * after some pages resumes to exactly the same records; the next day pulls only what changed;
 * and `pulse run` gives kpis.json numbers worked out from the replayed records.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'pulse-zendesk-'));
const token = 'zd-api-token-5f1e2d3c';
process.env.PULSE_TEST_ZD_EMAIL = 'ops@acme.example';
process.env.PULSE_TEST_ZD_TOKEN = token;

let account: ZendeskAccount;
let server: ReplayServer;

beforeAll(async () => {
  account = zendeskAccount();
  server = await zendeskServer(account).start();
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const zendeskSource = () => ({
  name: 'zd',
  type: 'zendesk',
  baseUrl: server.url,
  credentials: { email: 'env:PULSE_TEST_ZD_EMAIL', token: 'env:PULSE_TEST_ZD_TOKEN' },
  startDate: '2026-09-01',
  requestsPerMinute: 60_000,
});

/** A lake of its own for the test, anew unless `keep` (the next day's run on the same lake). */
const context = (name: string, now?: Date, keep = false, checkpointRecords?: number) =>
  connectorContext(
    writeConnectorConfig(dir, name, zendeskSource(), keep),
    now,
    checkpointRecords ? { checkpointRecords } : {},
  );

let clean: Awaited<ReturnType<typeof curatedTickets>>;

describe('the Zendesk connector', () => {
  it('pages the incremental export to end_of_stream and maps each ticket as CONNECTORS.md says', async () => {
    server.requests.length = 0;
    const ctx = await context('clean');
    const summaries = await extract(ctx);
    await curate(ctx);
    clean = await curatedTickets(ctx);
    const exports = server.requests.filter((r) => r.path.endsWith('/cursor.json'));
    // 250 tickets at 100 a page: three pages, the first from start_time, then by cursor.
    expect(exports.map((r) => (r.query.has('start_time') ? 'start' : 'cursor'))).toEqual(['start', 'cursor', 'cursor']);
    expect(exports[0]!.query.get('start_time')).toBe(String(Date.parse('2026-09-01T00:00:00Z') / 1000));
    for (const r of exports) expect(r.query.get('include')).toBe('metric_sets');
    expect(exports[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from(`ops@acme.example/token:${token}`).toString('base64')}`,
    );
    // Metric sets not sideloaded are fetched alone; the 404 of ticket 150 is skipped.
    expect(
      server.requests
        .filter((r) => r.path.includes('/metrics.json'))
        .map((r) => r.path)
        .sort(),
    ).toEqual(
      [
        '/api/v2/tickets/151/metrics.json',
        '/api/v2/tickets/201/metrics.json',
        '/api/v2/tickets/51/metrics.json',
      ].sort(),
    );
    expect(summaries.find((s) => s.entity === 'tickets')!.rowsLanded).toBe(250);
    // Deleted tickets are landed marked deleted (raw/ keeps them), and curate drops them.
    const landed = lakeText(path.join(dir, 'clean', 'lake', 'raw', 'tickets'));
    expect(landed.match(/"is_deleted":"true"/g)).toHaveLength(25);
    expect(clean).toHaveLength(225);
    const byId = new Map(clean.map((t) => [Number(t.id), t]));
    // Ticket 2: voice → phone, pending, high; replied 17 minutes after creation (created_at + reply_time_in_minutes.calendar).
    const t2 = account.tickets[1]!;
    expect(byId.get(2)).toMatchObject({
      status: 'pending',
      channel: 'phone',
      priority: 'high',
      is_deleted: false,
      category: 'question',
      customer_id: '9002',
      assignee_id: '502',
      agent_replies: 3,
    });
    expect(String(byId.get(2)!.first_response_at)).toBe(
      new Date(Date.parse(t2.created_at) + 17 * 60_000).toISOString().replace('T', ' ').replace('.000Z', ''),
    );
    expect(byId.get(3)).toMatchObject({ status: 'on_hold', channel: 'chat', category: 'incident' });
    expect(byId.get(4)).toMatchObject({ status: 'solved', assignee_id: null, priority: 'normal' });
    expect(byId.get(5)).toMatchObject({ channel: 'social' });
    expect(byId.get(6)).toMatchObject({ channel: 'messaging', reopens: 0 });
    expect(byId.get(8)).toMatchObject({ reopens: 1 });
    expect(byId.get(7)).toMatchObject({ channel: 'other', status: 'open' });
    expect(byId.has(10)).toBe(false);
    expect(byId.get(12)).toMatchObject({ satisfaction: 5 });
    expect(byId.get(11)).toMatchObject({ satisfaction: 1 });
    expect(byId.get(13)).toMatchObject({ satisfaction: null });
    expect(byId.get(151)).toMatchObject({ first_response_at: null, reopens: 0, agent_replies: null });
    expect(byId.get(51)!.first_response_at).not.toBeNull();
    // The ratings: answered ones only, good → 5, bad → 1, over three pages of ten.
    const surveys = await ctx.engine.query(
      "select count(*) as n, count_if(score = 5) as good, count_if(score = 1) as bad from surveys where kind = 'csat'",
    );
    const answered = account.ratings.filter((r) => r.score === 'good' || r.score === 'bad');
    expect(surveys[0]).toEqual({
      n: answered.length,
      good: answered.filter((r) => r.score === 'good').length,
      bad: answered.filter((r) => r.score === 'bad').length,
    });
    // No credential in what was landed or saved.
    expect(lakeText(path.join(dir, 'clean', 'lake'))).not.toContain(token);
    await ctx.engine.close();
  });

  it('lands the same curated tickets through 429s, 500s, a slow answer, a cut body and a page served twice', async () => {
    const ctx = await context('faults');
    server.fail(
      /cursor\.json$/,
      { kind: 'status', status: 429, headers: { 'Retry-After': '1' }, body: 'Rate limit exceeded' },
      { kind: 'slow', ms: 800 },
    );
    server.fail(
      /cursor\.json$/,
      { kind: 'status', status: 500, body: '{"error":"InternalError"}' },
      { kind: 'truncated' },
    );
    server.fail(/satisfaction_ratings$/, { kind: 'status', status: 503, headers: { 'Retry-After': '0' } });
    const before = server.requests.length;
    const lines: string[] = [];
    ctx.progress = { start() {}, update: (_done, detail) => void (detail && lines.push(detail)), stop() {} };
    await extract(ctx);
    const limited = server.requests.slice(before).filter((r) => r.path.endsWith('cursor.json'));
    expect(limited[1]!.at - limited[0]!.at).toBeGreaterThanOrEqual(990);
    // The progress line: requests so far, the landing rate, the time rate limits held the pull.
    const last = /^(\d+) requests, \d+\/s, (\d+\.\d) s waited on rate limits$/.exec(lines.at(-1) ?? '');
    expect(last, lines.at(-1)).not.toBeNull();
    expect(Number(last![1])).toBe(server.requests.length - before);
    expect(Number(last![2])).toBeGreaterThanOrEqual(1);
    // A page served twice: the next extract starts again from a cursor already read.
    const stateFile = path.join(dir, 'faults', 'lake', 'state', 'zd', 'tickets.json');
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    const replayFrom = Buffer.from(
      `${account.tickets[99]!.generated_timestamp}:${String(100).padStart(9, '0')}`,
    ).toString('base64url');
    writeFileSync(stateFile, JSON.stringify({ ...state, watermark: { cursor: replayFrom } }));
    await extract(ctx);
    await curate(ctx);
    expect(await curatedTickets(ctx)).toEqual(clean);
    expect(server.pendingFaults()).toBe(0);
    await ctx.engine.close();
  });

  it('resumes after a crash from the last durable cursor to exactly the records of an uninterrupted run', async () => {
    // Each page checkpointed (the default gathers 20,000 records a part), so a crash leaves some durable.
    const ctx = await context('crash', undefined, false, 100);
    // The crash: once page 1 is landed, every request resets until the pull gives up.
    const tickets = ctx.sources.find((s) => s.entity === 'tickets')!;
    let pages = 0;
    const crashing = {
      ...ctx,
      sources: [
        {
          name: tickets.name,
          entity: tickets.entity,
          reading: tickets.reading,
          async *pull(watermark: unknown) {
            for await (const chunk of tickets.pull(watermark)) {
              yield chunk;
              pages += 1;
              if (pages === 1)
                server.fail(/cursor\.json$/, ...Array.from({ length: 5 }, () => ({ kind: 'reset' as const })));
            }
          },
        },
      ],
    };
    await expect(extract(crashing)).rejects.toThrow(/sources "zd": Zendesk GET .*cursor\.json: the connection failed/);
    const state = JSON.parse(readFileSync(path.join(dir, 'crash', 'lake', 'state', 'zd', 'tickets.json'), 'utf8'));
    expect(state.landed).toHaveLength(1);
    server.clearFaults();
    await extract(ctx);
    await curate(ctx);
    expect(await curatedTickets(ctx)).toEqual(clean);
    await ctx.engine.close();
  });

  it('pulls only what changed the next day', async () => {
    const ctx = await context('clean', new Date('2026-11-03T06:00:00Z'), true);
    // The clean lake, a day later: two tickets changed (one solved, one deleted).
    const changed = account.tickets.find((t) => t.id === 7)!;
    const deleted = account.tickets.find((t) => t.id === 8)!;
    const later = Math.floor(Date.parse('2026-11-02T12:00:00Z') / 1000);
    Object.assign(changed, { status: 'solved', updated_at: '2026-11-02T12:00:00Z', generated_timestamp: later });
    Object.assign(deleted, { status: 'deleted', updated_at: '2026-11-02T12:05:00Z', generated_timestamp: later + 300 });
    try {
      const before = server.requests.length;
      const summaries = await extract(ctx);
      const asked = server.requests.slice(before).filter((r) => r.path.endsWith('cursor.json'));
      expect(asked).toHaveLength(1);
      expect(asked[0]!.query.has('cursor')).toBe(true);
      expect(summaries.find((s) => s.entity === 'tickets')!.rowsLanded).toBe(2);
      await curate(ctx);
      const rows = new Map((await curatedTickets(ctx)).map((t) => [Number(t.id), t]));
      expect(rows.size).toBe(224);
      expect(rows.get(7)).toMatchObject({ status: 'solved' });
      expect(rows.has(8)).toBe(false);
    } finally {
      Object.assign(changed, { status: 'solved' });
      await ctx.engine.close();
    }
  });
});

describe('pulse run with a Zendesk source', () => {
  it('produces kpis.json whose counts match the replayed records', async () => {
    const fresh = zendeskAccount();
    const own = await zendeskServer(fresh).start();
    try {
      const folder = path.join(dir, 'run');
      mkdirSync(folder, { recursive: true });
      const file = path.join(folder, 'pulse.config.json');
      writeFileSync(
        file,
        JSON.stringify({
          lake: './lake',
          timezone: 'UTC',
          sources: [
            {
              name: 'zd',
              type: 'zendesk',
              baseUrl: own.url,
              credentials: { email: 'env:PULSE_TEST_ZD_EMAIL', token: 'env:PULSE_TEST_ZD_TOKEN' },
              startDate: '2026-09-01',
              requestsPerMinute: 60_000,
            },
          ],
          audiences: [{ name: 'executive', recipients: ['ceo@acme.example'] }],
        }),
      );
      const out: string[] = [];
      const code = await main(['run', '--config', file, '--period', '2026-10', '--json'], {
        out: (s) => void out.push(s),
      });
      expect(code, out.join('')).toBe(0);
      const report = JSON.parse(
        readFileSync(path.join(folder, 'lake', 'reports', '2026-10', 'kpis.json'), 'utf8'),
      ) as KpiReport;
      const live = fresh.tickets.filter((t) => t.status !== 'deleted');
      expect(report.kpis.tickets_created!.value).toBe(live.filter((t) => t.created_at.startsWith('2026-10')).length);
      const solvedInOctober = live.filter((t) => fresh.metrics.get(t.id)?.solved_at?.startsWith('2026-10'));
      expect(report.kpis.tickets_solved!.value).toBe(solvedInOctober.length);
      const answered = fresh.ratings.filter(
        (r) => (r.score === 'good' || r.score === 'bad') && r.updated_at.startsWith('2026-10'),
      );
      expect(report.kpis.csat!.value).toBeCloseTo(
        answered.filter((r) => r.score === 'good').length / answered.length,
        12,
      );
      expect(out.join('')).not.toContain(token);
    } finally {
      await own.stop();
    }
  });
});
