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
import type { ApiClient } from '../api/http.ts';
import { hubspotFeedbackProperties, stgHubspotSurvey } from './stg_hubspot__surveys.ts';
import {
  hubspotTicketProperties,
  stgHubspotTicket,
  type HubspotTicket,
  type StageStates,
} from './stg_hubspot__tickets.ts';

/**
 * HubSpot: tickets through the CRM v3 search, filtered on hs_lastmodifieddate from the
 * watermark and sorted on it, paged with `after`. Search stops at 10,000 results a query, so
 * the window moves: a new search from the last modification seen (inclusive; curate keeps the
 * latest version). Archived tickets (which search leaves out) are listed after, marked deleted.
 * Feedback submissions as surveys, searched the same way.
 */
export const hubspotSearchCap = 10_000;
const pageSize = 100;

interface SearchPage {
  results: HubspotTicket[];
  paging?: { next?: { after?: string } };
}

const authorization = (credentials: Record<string, string>) => `Bearer ${credentials.token}`;

/** Every result of one object's search from `since` (epoch ms), window after window. */
async function* search(
  connection: ApiConnection,
  client: ApiClient,
  headers: Record<string, string>,
  object: string,
  properties: readonly string[],
  since: number,
): AsyncIterable<{ results: HubspotTicket[]; window: number; page: number }> {
  let from = since;
  for (;;) {
    let after: string | undefined;
    let seen = 0;
    let last: number | undefined;
    let page = 0;
    do {
      page += 1;
      const body = {
        filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(from) }] }],
        sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }],
        properties,
        limit: pageSize,
        ...(after ? { after } : {}),
      };
      const { body: answer } = await client.json<SearchPage>({
        method: 'POST',
        url: `${connection.baseUrl}/crm/v3/objects/${object}/search`,
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!Array.isArray(answer.results))
        throw unexpected('HubSpot', connection.config.name, `no results[] from the ${object} search`);
      seen += answer.results.length;
      for (const r of answer.results) {
        const at = Date.parse(r.properties.hs_lastmodifieddate ?? '');
        if (!Number.isNaN(at)) last = at;
      }
      yield { results: answer.results, window: from, page };
      after = answer.paging?.next?.after;
    } while (after && seen + pageSize <= hubspotSearchCap);
    if (!after) return;
    // At the cap: search again from the last modification seen.
    if (last === undefined || last === from)
      throw unexpected(
        'HubSpot',
        connection.config.name,
        `more than ${hubspotSearchCap} ${object} modified at ${new Date(from).toISOString()}: search cannot page past them`,
      );
    from = last;
  }
}

async function stageStates(
  connection: ApiConnection,
  client: ApiClient,
  headers: Record<string, string>,
): Promise<StageStates> {
  const { body } = await client.json<{
    results: { id: string; stages: { id: string; metadata?: { ticketState?: string } }[] }[];
  }>({ url: `${connection.baseUrl}/crm/v3/pipelines/tickets`, headers });
  if (!Array.isArray(body.results))
    throw unexpected('HubSpot', connection.config.name, 'no results[] from the ticket pipelines');
  const states: StageStates = new Map();
  for (const pipeline of body.results)
    for (const stage of pipeline.stages ?? [])
      if (stage.metadata?.ticketState) states.set(`${pipeline.id}:${stage.id}`, stage.metadata.ticketState);
  return states;
}

function tickets(connection: ApiConnection): EntityPull {
  return async function* (watermark, { now }): AsyncIterable<ApiPage> {
    const { client, credentials } = await connection.open();
    const headers = { Authorization: authorization(credentials), Accept: 'application/json' };
    const saved = watermark as { modifiedSince?: string } | undefined;
    const stages = await stageStates(connection, client, headers);
    let modifiedSince = saved?.modifiedSince;
    for await (const { results, window, page } of search(
      connection,
      client,
      headers,
      'tickets',
      hubspotTicketProperties,
      resumeAt(saved?.modifiedSince, connection.startOf(now)),
    )) {
      const records = results.map((t) => stgHubspotTicket(t, stages));
      modifiedSince = latest(records, 'updated_at', modifiedSince);
      yield {
        unit: `since:${window}:page:${page}`,
        name: `hubspot tickets page ${page}`,
        records,
        watermark: modifiedSince ? { modifiedSince } : undefined,
      };
    }
    // Archived tickets: search leaves them out; the list names them all, each a deleted record.
    let after: string | undefined;
    let page = 0;
    do {
      page += 1;
      const url = `${connection.baseUrl}/crm/v3/objects/tickets?archived=true&limit=${pageSize}&properties=${hubspotTicketProperties.join(',')}${after ? `&after=${encodeURIComponent(after)}` : ''}`;
      const { body } = await client.json<SearchPage>({ url, headers });
      if (!Array.isArray(body.results))
        throw unexpected('HubSpot', connection.config.name, 'no results[] from the archived tickets');
      const records = body.results.map((t) => stgHubspotTicket({ ...t, archived: true }, stages));
      yield {
        unit: `archived:${now.toISOString().slice(0, 10)}:page:${page}`,
        name: `hubspot archived tickets page ${page}`,
        records,
        watermark: modifiedSince ? { modifiedSince } : undefined,
      };
      after = body.paging?.next?.after;
    } while (after);
  };
}

function surveys(connection: ApiConnection): EntityPull {
  return async function* (watermark, { now }): AsyncIterable<ApiPage> {
    const { client, credentials } = await connection.open();
    const headers = { Authorization: authorization(credentials), Accept: 'application/json' };
    const saved = watermark as { modifiedSince?: string } | undefined;
    let modifiedSince = saved?.modifiedSince;
    for await (const { results, window, page } of search(
      connection,
      client,
      headers,
      'feedback_submissions',
      hubspotFeedbackProperties,
      resumeAt(saved?.modifiedSince, connection.startOf(now)),
    )) {
      const records = results.map(stgHubspotSurvey).filter((r): r is Record<string, string | null> => r !== undefined);
      const modified = results.map((r) => ({ at: r.properties.hs_lastmodifieddate ?? null }));
      modifiedSince = latest(modified, 'at', modifiedSince);
      yield {
        unit: `since:${window}:page:${page}`,
        name: `hubspot feedback page ${page}`,
        records,
        watermark: modifiedSince ? { modifiedSince } : undefined,
      };
    }
  };
}

export function hubspotSources(
  config: ApiSourceConfig,
  secrets: SecretResolver,
  options: ConnectorOptions = {},
): Source[] {
  const connection = new ApiConnection(
    { ...config, baseUrl: config.baseUrl ?? 'https://api.hubapi.com' },
    'HubSpot',
    secrets,
    options.timings ? { timings: options.timings } : {},
  );
  const pulls: Record<string, EntityPull> = { tickets: tickets(connection), surveys: surveys(connection) };
  return sourceEntities(config).map(
    (entity) => new ApiEntitySource(config.name, entity, pulls[entity]!, connection, options),
  );
}
