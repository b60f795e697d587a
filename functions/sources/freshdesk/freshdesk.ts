import { sourceEntities, type ApiSourceConfig } from '../../config/schema.ts';
import type { SecretResolver } from '../../ports/secrets.ts';
import type { Source } from '../../ports/source.ts';
import {
  ApiConnection,
  ApiEntitySource,
  type ConnectorOptions,
  latest,
  resumeAt,
  unexpected,
  type ApiPage,
  type EntityPull,
} from '../api/apiSource.ts';
import { stgFreshdeskSurvey, type FreshdeskRating } from './stg_freshdesk__surveys.ts';
import { stgFreshdeskTicket, type FreshdeskTicket } from './stg_freshdesk__tickets.ts';

/**
 * Freshdesk: tickets updated since the watermark (order_by=updated_at asc, include=stats), paged
 * by the Link header; the list stops at page 300, so the pull restarts from the last updated_at
 * (inclusive: the overlap deduplicates in curate). Deleted tickets come from the same list with
 * filter=deleted, marked deleted. Satisfaction ratings, created since their watermark, as surveys.
 */
export interface FreshdeskTicketsWatermark {
  updatedSince?: string;
  deletedSince?: string;
}

/** Freshdesk answers page 301 with a 400: the restart happens at this page. */
export const freshdeskPageCap = 300;

/** The next page's URL from a Link header (`<…>; rel="next"`), or null. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match) return match[1]!;
  }
  return null;
}

const authorization = (credentials: Record<string, string>) =>
  `Basic ${Buffer.from(`${credentials.apiKey}:X`).toString('base64')}`;

/** Pages of one ticket list from `since`, restarting at the page cap; `mark` says which watermark a page moves. */
async function* ticketList(
  connection: ApiConnection,
  filter: 'all' | 'deleted',
  since: number,
  save: (latest: string | undefined) => unknown,
): AsyncIterable<ApiPage> {
  const { client, credentials } = await connection.open();
  const headers = { Authorization: authorization(credentials), Accept: 'application/json' };
  let from = new Date(since).toISOString();
  let newest: string | undefined;
  for (let restart = 0; ; restart++) {
    const query = `${filter === 'deleted' ? 'filter=deleted&' : ''}updated_since=${encodeURIComponent(from)}&order_by=updated_at&order_type=asc&per_page=100&include=stats`;
    let url: string | null = `${connection.baseUrl}/api/v2/tickets?${query}&page=1`;
    let page = 0;
    let capped = false;
    while (url) {
      page += 1;
      const { body, headers: answer }: { body: FreshdeskTicket[]; headers: Headers } = await client.json<
        FreshdeskTicket[]
      >({ url, headers });
      if (!Array.isArray(body))
        throw unexpected('Freshdesk', connection.config.name, 'the ticket list is not a JSON array');
      const records = body.map((t) => stgFreshdeskTicket(filter === 'deleted' ? { ...t, deleted: true } : t));
      newest = latest(records, 'updated_at', newest);
      yield {
        unit: `${filter}:${from}:page:${page}`,
        name: `freshdesk ${filter === 'deleted' ? 'deleted tickets' : 'tickets'} page ${page}`,
        records,
        watermark: save(newest),
      };
      url = nextLink(answer.get('link'));
      if (url && page >= freshdeskPageCap) {
        capped = true;
        break;
      }
    }
    if (!capped) return;
    if (!newest || newest === from) {
      throw unexpected(
        'Freshdesk',
        connection.config.name,
        `more than ${freshdeskPageCap * 100} tickets updated at ${from}: the list cannot page past them`,
      );
    }
    from = newest;
  }
}

function tickets(connection: ApiConnection): EntityPull {
  return async function* (watermark, { now }) {
    const saved = (watermark as FreshdeskTicketsWatermark | undefined) ?? {};
    const current: FreshdeskTicketsWatermark = { ...saved };
    const start = connection.startOf(now);
    yield* ticketList(connection, 'all', resumeAt(saved.updatedSince, start), (newest) => {
      if (newest) current.updatedSince = newest;
      return { ...current };
    });
    yield* ticketList(connection, 'deleted', resumeAt(saved.deletedSince, start), (newest) => {
      if (newest) current.deletedSince = newest;
      return { ...current };
    });
  };
}

function surveys(connection: ApiConnection): EntityPull {
  return async function* (watermark, { now }) {
    const { client, credentials } = await connection.open();
    const headers = { Authorization: authorization(credentials), Accept: 'application/json' };
    const saved = watermark as { createdSince?: string } | undefined;
    const since = new Date(resumeAt(saved?.createdSince, connection.startOf(now))).toISOString();
    let url: string | null =
      `${connection.baseUrl}/api/v2/surveys/satisfaction_ratings?created_since=${encodeURIComponent(since)}&per_page=100&page=1`;
    let createdSince = saved?.createdSince;
    for (let n = 1; url; n++) {
      const { body, headers: answer }: { body: FreshdeskRating[]; headers: Headers } = await client.json<
        FreshdeskRating[]
      >({ url, headers });
      if (!Array.isArray(body))
        throw unexpected('Freshdesk', connection.config.name, 'the satisfaction ratings are not a JSON array');
      const records = body.map(stgFreshdeskSurvey).filter((r): r is Record<string, string | null> => r !== undefined);
      createdSince = latest(records, 'answered_at', createdSince);
      yield {
        unit: `since:${since}:page:${n}`,
        name: `freshdesk satisfaction ratings page ${n}`,
        records,
        watermark: createdSince ? { createdSince } : undefined,
      };
      url = nextLink(answer.get('link'));
    }
  };
}

export function freshdeskSources(
  config: ApiSourceConfig,
  secrets: SecretResolver,
  options: ConnectorOptions = {},
): Source[] {
  const connection = new ApiConnection(
    config,
    'Freshdesk',
    secrets,
    options.timings ? { timings: options.timings } : {},
  );
  const pulls: Record<string, EntityPull> = { tickets: tickets(connection), surveys: surveys(connection) };
  return sourceEntities(config).map(
    (entity) => new ApiEntitySource(config.name, entity, pulls[entity]!, connection, options),
  );
}
