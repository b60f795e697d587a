import { ReplayServer, type ReplayAnswer, type ReplayRequest } from './replayServer.ts';

/**
 * Freshdesk replayed in the shapes of its API reference: GET /api/v2/tickets with updated_since
 * (inclusive), order_by=updated_at asc, per_page ≤ 100, page=N, the next page in a Link header
 * and none on the last, a 400 past page 300; filter=deleted lists the deleted ones (deleted:
 * true) that the plain list leaves out; satisfaction ratings paged the same way (bare arrays).
 */
export interface FreshdeskAccount {
  tickets: Record<string, unknown>[];
  deleted: Record<string, unknown>[];
  ratings: Record<string, unknown>[];
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function freshdeskAccount(count: number): FreshdeskAccount {
  const start = Date.parse('2026-10-01T00:00:00Z');
  const step = Math.floor((30 * 86_400_000) / count);
  const tickets = Array.from({ length: count }, (_, i) => {
    const id = i + 1;
    const created = start + i * step;
    const resolved = id % 4 === 0 ? iso(created + 7200_000) : null;
    return {
      id,
      status: [2, 3, 4, 5, 7][id % 5],
      priority: 1 + (id % 4),
      source: [1, 2, 3, 7, 9, 10, 5][id % 7],
      type: id % 2 ? 'Question' : 'Incident',
      requester_id: 100 + (id % 30),
      responder_id: id % 3 ? 200 + (id % 4) : null,
      group_id: 300,
      is_escalated: id % 9 === 0,
      created_at: iso(created),
      // Several tickets share an updated_at: the restart from the last one re-reads them.
      updated_at: iso(created + 3600_000 - (id % 3) * step),
      stats: {
        first_responded_at: id % 5 ? iso(created + 1800_000) : null,
        resolved_at: resolved,
        closed_at: id % 8 === 0 ? iso(created + 9000_000) : null,
        reopened_at: id % 10 === 0 ? iso(created + 8000_000) : null,
      },
    };
  });
  const deleted = tickets
    .filter((t) => (t.id as number) % 997 === 0)
    .map((t) => ({ ...t, deleted: true, updated_at: iso(Date.parse(t.updated_at as string) + 60_000) }));
  const gone = new Set(deleted.map((t) => t.id));
  const ratings = Array.from({ length: 12 }, (_, i) => ({
    id: 5000 + i,
    survey_id: 1,
    ticket_id: 1 + i,
    user_id: 100 + i,
    agent_id: 200,
    group_id: 300,
    feedback: i % 2 ? 'ok' : null,
    created_at: iso(start + i * 86_400_000),
    updated_at: iso(start + i * 86_400_000),
    ratings: { default_question: [103, 102, 101, 100, -101, -102, -103][i % 7] },
  }));
  return { tickets: tickets.filter((t) => !gone.has(t.id)), deleted, ratings };
}

function paged(server: ReplayServer, r: ReplayRequest, rows: Record<string, unknown>[]): ReplayAnswer {
  const page = Number(r.query.get('page') ?? 1);
  if (page > 300)
    return {
      status: 400,
      body: {
        description: 'Validation failed',
        errors: [{ field: 'page', message: 'Has to be less than or equal to 300', code: 'invalid_value' }],
      },
    };
  const size = Math.min(100, Number(r.query.get('per_page') ?? 30));
  const slice = rows.slice((page - 1) * size, page * size);
  const next = new URLSearchParams(r.query);
  next.set('page', String(page + 1));
  const headers: Record<string, string> =
    page * size < rows.length ? { Link: `<${server.url}${r.path}?${next}>; rel="next"` } : {};
  return { headers, body: slice };
}

/** A list in Freshdesk's order for order_by=updated_at asc (ties by id), each with its time as a number. */
function ordered(list: Record<string, unknown>[]) {
  return list
    .map((t) => ({ t, at: Date.parse(t.updated_at as string) }))
    .sort((a, b) => a.at - b.at || (a.t.id as number) - (b.t.id as number));
}

export function freshdeskServer(account: FreshdeskAccount): ReplayServer {
  const server = new ReplayServer();
  // Sorted once: the account does not change while a test pages through it.
  const lists = { all: ordered(account.tickets), deleted: ordered(account.deleted) };
  server.route('GET', /^\/api\/v2\/tickets$/, (r) => {
    const since = Date.parse(r.query.get('updated_since') ?? '1970-01-01T00:00:00Z');
    const list = r.query.get('filter') === 'deleted' ? lists.deleted : lists.all;
    const rows = list.filter((x) => x.at >= since).map((x) => x.t);
    return paged(server, r, r.query.get('include') === 'stats' ? rows : rows.map(({ stats: _stats, ...t }) => t));
  });
  server.route('GET', /^\/api\/v2\/surveys\/satisfaction_ratings$/, (r) => {
    const since = Date.parse(r.query.get('created_since') ?? '1970-01-01T00:00:00Z');
    return paged(
      server,
      r,
      account.ratings.filter((x) => Date.parse(x.created_at as string) >= since),
    );
  });
  return server;
}
