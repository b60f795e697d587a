import type { ReplayRequest } from './replayServer.ts';
import { ReplayServer } from './replayServer.ts';

/**
 * Zendesk Support replayed over a small account, in the shapes of its API reference: the
 * cursor-based incremental ticket export (start_time, then cursor / after_cursor until
 * end_of_stream, metric_sets sideloaded), a ticket's own metrics (404 for a deleted one), and
 * satisfaction ratings cursor-paged (meta.has_more, links.next). Tickets are ordered by
 * generated_timestamp then id; a cursor names the last one a page held, so a later change
 * (a new generated_timestamp) comes after it, as in Zendesk.
 */
export interface ReplayTicket {
  id: number;
  created_at: string;
  updated_at: string;
  generated_timestamp: number;
  status: string;
  priority: string | null;
  type: string | null;
  requester_id: number;
  assignee_id: number | null;
  group_id: number | null;
  via: { channel: string };
  satisfaction_rating: { score: string } | null;
}

export interface ReplayMetrics {
  ticket_id: number;
  reply_time_in_minutes: { calendar: number | null; business: number | null };
  solved_at: string | null;
  reopens: number;
  replies: number;
}

export interface ZendeskAccount {
  tickets: ReplayTicket[];
  metrics: Map<number, ReplayMetrics>;
  /** Tickets whose metric set is not sideloaded (fetched alone); of them, those answering 404. */
  unsideloaded: Set<number>;
  gone: Set<number>;
  ratings: {
    id: number;
    ticket_id: number;
    requester_id: number;
    score: string;
    comment: string | null;
    created_at: string;
    updated_at: string;
  }[];
}

const channels = ['email', 'web', 'voice', 'chat', 'api', 'twitter', 'native_messaging', 'mobile'];
const statuses = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];
const priorities = ['low', 'normal', 'high', 'urgent', null];
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** 250 tickets created over October 2026 (UTC), every 10th deleted, with metrics and 30 ratings. */
export function zendeskAccount(): ZendeskAccount {
  const start = Date.parse('2026-10-01T00:00:00Z');
  const tickets: ReplayTicket[] = [];
  const metrics = new Map<number, ReplayMetrics>();
  for (let id = 1; id <= 250; id++) {
    const created = start + (id - 1) * 2.9 * 3600_000;
    const status = id % 10 === 0 ? 'deleted' : statuses[id % statuses.length]!;
    const solved = status === 'solved' || status === 'closed' ? created + (id % 7) * 3600_000 + 1800_000 : null;
    tickets.push({
      id,
      created_at: iso(created),
      updated_at: iso(created + 5 * 3600_000),
      generated_timestamp: Math.floor((created + 5 * 3600_000) / 1000),
      status,
      priority: priorities[id % priorities.length]!,
      type: id % 3 === 0 ? 'incident' : 'question',
      requester_id: 9000 + (id % 40),
      assignee_id: id % 4 === 0 ? null : 500 + (id % 5),
      group_id: 70 + (id % 2),
      via: { channel: channels[id % channels.length]! },
      satisfaction_rating:
        id % 6 === 0
          ? { score: 'good' }
          : id % 11 === 0
            ? { score: 'bad' }
            : id % 13 === 0
              ? { score: 'offered' }
              : null,
    });
    if (status !== 'deleted') {
      metrics.set(id, {
        ticket_id: id,
        reply_time_in_minutes: { calendar: id % 9 === 0 ? null : 15 + (id % 50), business: null },
        solved_at: solved === null ? null : iso(solved),
        reopens: id % 8 === 0 ? 1 : 0,
        replies: 1 + (id % 3),
      });
    }
  }
  const ratings = Array.from({ length: 30 }, (_, i) => ({
    id: 7000 + i,
    ticket_id: 1 + i * 7,
    requester_id: 9000 + i,
    score: i % 5 === 0 ? 'offered' : i % 3 === 0 ? 'bad' : 'good',
    comment: i % 4 === 0 ? 'thanks' : null,
    created_at: iso(start + i * 20 * 3600_000),
    updated_at: iso(start + i * 20 * 3600_000 + 600_000),
  }));
  return { tickets, metrics, unsideloaded: new Set([51, 151, 201]), gone: new Set([151]), ratings };
}

const key = (t: ReplayTicket) => `${t.generated_timestamp}:${String(t.id).padStart(9, '0')}`;

export function zendeskServer(account: ZendeskAccount, pageSize = 100): ReplayServer {
  const server = new ReplayServer();
  const ordered = () => [...account.tickets].sort((a, b) => key(a).localeCompare(key(b)));
  server.route('GET', /^\/api\/v2\/incremental\/tickets\/cursor\.json$/, (r: ReplayRequest) => {
    const cursor = r.query.get('cursor');
    const from = cursor ? Buffer.from(cursor, 'base64url').toString('utf8') : undefined;
    const startTime = Number(r.query.get('start_time') ?? 0);
    const eligible = ordered().filter((t) => (from ? key(t) > from : t.generated_timestamp >= startTime));
    const page = eligible.slice(0, Math.min(pageSize, Number(r.query.get('per_page') ?? 1000)));
    const last = page.at(-1);
    const afterCursor = last
      ? Buffer.from(key(last)).toString('base64url')
      : (cursor ?? Buffer.from(`${startTime}:`).toString('base64url'));
    const sideload = r.query.get('include') === 'metric_sets';
    return {
      body: {
        tickets: page,
        ...(sideload
          ? {
              metric_sets: page
                .filter((t) => account.metrics.has(t.id) && !account.unsideloaded.has(t.id))
                .map((t) => account.metrics.get(t.id)),
            }
          : {}),
        after_cursor: afterCursor,
        after_url: `${server.url}/api/v2/incremental/tickets/cursor.json?cursor=${afterCursor}`,
        before_cursor: null,
        before_url: null,
        end_of_stream: eligible.length <= page.length,
      },
    };
  });
  server.route('GET', /^\/api\/v2\/tickets\/\d+\/metrics\.json$/, (r) => {
    const id = Number(/\/tickets\/(\d+)\//.exec(r.path)![1]);
    const set = account.metrics.get(id);
    if (!set || account.gone.has(id))
      return { status: 404, body: { error: 'RecordNotFound', description: 'Not found' } };
    return { body: { ticket_metric: set } };
  });
  server.route('GET', /^\/api\/v2\/satisfaction_ratings$/, (r) => {
    const since = Number(r.query.get('start_time') ?? 0);
    const after = Number(r.query.get('page[after]') ?? 0);
    const size = Math.min(10, Number(r.query.get('page[size]') ?? 100));
    const received = account.ratings.filter(
      (x) =>
        (r.query.get('score') === 'received' ? x.score === 'good' || x.score === 'bad' : true) &&
        Date.parse(x.updated_at) / 1000 >= since,
    );
    const page = received.slice(after, after + size);
    const more = after + size < received.length;
    const next = new URLSearchParams(r.query);
    next.set('page[after]', String(after + size));
    return {
      body: {
        satisfaction_ratings: page,
        meta: { has_more: more, after_cursor: more ? String(after + size) : null, before_cursor: null },
        links: { next: more ? `${server.url}${r.path}?${next}` : null, prev: null },
      },
    };
  });
  return server;
}
