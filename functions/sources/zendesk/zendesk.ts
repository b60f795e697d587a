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
  type EntityPull,
} from '../api/apiSource.ts';
import { stgZendeskSurvey, type ZendeskRating } from './stg_zendesk__surveys.ts';
import { stgZendeskTicket, type ZendeskMetricSet, type ZendeskTicket } from './stg_zendesk__tickets.ts';

/**
 * Zendesk Support: tickets from the cursor-based incremental export (start_time once, then the
 * after_cursor until end_of_stream), with their metric sets sideloaded (include=metric_sets);
 * satisfaction ratings (answered ones) as surveys, cursor-paged from a time watermark.
 * A ticket without a sideloaded metric set has it fetched alone; a 404 there (the ticket was
 * deleted meanwhile) is skipped, not an error.
 */
interface TicketPage {
  tickets: ZendeskTicket[];
  metric_sets?: ZendeskMetricSet[];
  after_cursor: string | null;
  end_of_stream: boolean;
}

interface RatingsPage {
  satisfaction_ratings: ZendeskRating[];
  meta?: { has_more?: boolean; after_cursor?: string | null };
  links?: { next?: string | null };
}

export interface ZendeskTicketsWatermark {
  cursor: string;
}

export interface ZendeskSurveysWatermark {
  answeredSince: string;
}

function authorization(credentials: Record<string, string>): string {
  if (credentials.oauthToken) return `Bearer ${credentials.oauthToken}`;
  return `Basic ${Buffer.from(`${credentials.email}/token:${credentials.token}`).toString('base64')}`;
}

function tickets(connection: ApiConnection): EntityPull {
  return async function* (watermark, { now }) {
    const { client, credentials } = await connection.open();
    const headers = { Authorization: authorization(credentials), Accept: 'application/json' };
    const saved = watermark as ZendeskTicketsWatermark | undefined;
    const base = `${connection.baseUrl}/api/v2/incremental/tickets/cursor.json`;
    let url = saved?.cursor
      ? `${base}?cursor=${encodeURIComponent(saved.cursor)}&include=metric_sets&per_page=1000`
      : `${base}?start_time=${Math.floor(connection.startOf(now).getTime() / 1000)}&include=metric_sets&per_page=1000`;
    let unit = saved?.cursor
      ? `cursor:${saved.cursor}`
      : `start:${Math.floor(connection.startOf(now).getTime() / 1000)}`;
    for (let n = 1; ; n++) {
      const { body } = await client.json<TicketPage>({ url, headers });
      if (!Array.isArray(body.tickets) || typeof body.end_of_stream !== 'boolean')
        throw unexpected('Zendesk', connection.config.name, 'no tickets[] or end_of_stream in the incremental export');
      const metrics = new Map((body.metric_sets ?? []).map((m) => [m.ticket_id, m]));
      const records: Record<string, string | null>[] = [];
      for (const ticket of body.tickets) {
        let set = metrics.get(ticket.id);
        if (!set && ticket.status !== 'deleted') {
          const answer = await client.json<{ ticket_metric?: ZendeskMetricSet; error?: string }>({
            url: `${connection.baseUrl}/api/v2/tickets/${ticket.id}/metrics.json`,
            headers,
            accept: [404],
          });
          set = answer.status === 404 ? undefined : answer.body.ticket_metric;
        }
        records.push(stgZendeskTicket(ticket, set));
      }
      // A cursor is the page's own position: saved, the next run goes on from exactly there.
      const cursor = body.after_cursor ?? saved?.cursor;
      yield { unit, name: `zendesk tickets page ${n}`, records, watermark: cursor ? { cursor } : undefined };
      if (body.end_of_stream || !body.after_cursor) return;
      unit = `cursor:${body.after_cursor}`;
      url = `${base}?cursor=${encodeURIComponent(body.after_cursor)}&include=metric_sets&per_page=1000`;
    }
  };
}

function surveys(connection: ApiConnection): EntityPull {
  return async function* (watermark, { now }) {
    const { client, credentials } = await connection.open();
    const headers = { Authorization: authorization(credentials), Accept: 'application/json' };
    const saved = watermark as ZendeskSurveysWatermark | undefined;
    const since = Math.floor(resumeAt(saved?.answeredSince, connection.startOf(now)) / 1000);
    let url: string | null =
      `${connection.baseUrl}/api/v2/satisfaction_ratings?score=received&start_time=${since}&page[size]=100`;
    let answeredSince = saved?.answeredSince;
    for (let n = 1; url; n++) {
      const { body }: { body: RatingsPage } = await client.json<RatingsPage>({ url, headers });
      if (!Array.isArray(body.satisfaction_ratings))
        throw unexpected('Zendesk', connection.config.name, 'no satisfaction_ratings[]');
      const records = body.satisfaction_ratings
        .map(stgZendeskSurvey)
        .filter((r): r is Record<string, string | null> => r !== undefined);
      answeredSince = latest(records, 'answered_at', answeredSince);
      yield {
        unit: `since:${since}:page:${n}`,
        name: `zendesk satisfaction ratings page ${n}`,
        records,
        watermark: answeredSince ? { answeredSince } : undefined,
      };
      url = body.meta?.has_more && body.links?.next ? body.links.next : null;
    }
  };
}

export function zendeskSources(
  config: ApiSourceConfig,
  secrets: SecretResolver,
  options: ConnectorOptions = {},
): Source[] {
  const connection = new ApiConnection(config, 'Zendesk', secrets, options.timings ? { timings: options.timings } : {});
  const pulls: Record<string, EntityPull> = { tickets: tickets(connection), surveys: surveys(connection) };
  return sourceEntities(config).map(
    (entity) => new ApiEntitySource(config.name, entity, pulls[entity]!, connection, options),
  );
}
