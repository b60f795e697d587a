import { ReplayServer } from './replayServer.ts';

/**
 * HubSpot CRM v3 replayed in the shapes of its reference: POST /crm/v3/objects/{object}/search
 * with filterGroups on hs_lastmodifieddate (GTE, epoch ms as a string), sorts, properties,
 * limit ≤ 200 and `after`; every property a string; paging.next.after absent on the last page;
 * a 400 past 10,000 results a query; GET /crm/v3/pipelines/tickets with each stage's
 * metadata.ticketState; archived tickets from GET /crm/v3/objects/tickets?archived=true.
 */
export interface HubspotObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

export interface HubspotAccount {
  tickets: HubspotObject[];
  archived: HubspotObject[];
  feedback: HubspotObject[];
}

const iso = (ms: number) => new Date(ms).toISOString();

export function hubspotAccount(count: number): HubspotAccount {
  const start = Date.parse('2026-10-01T00:00:00Z');
  const step = Math.floor((30 * 86_400_000) / count);
  const stages = ['1', '2', '3', '4'];
  const tickets = Array.from({ length: count }, (_, i): HubspotObject => {
    const id = String(1000 + i);
    const created = start + i * step;
    const stage = stages[i % 4]!;
    const modified = iso(created + 3600_000 - (i % 2) * step);
    return {
      id,
      createdAt: iso(created),
      updatedAt: modified,
      archived: false,
      properties: {
        hs_object_id: id,
        createdate: iso(created),
        hs_lastmodifieddate: modified,
        first_agent_reply_date: i % 5 ? iso(created + 1200_000) : null,
        closed_date: stage === '4' ? iso(created + 7200_000) : null,
        hs_pipeline: '0',
        hs_pipeline_stage: stage,
        hs_ticket_priority: ['LOW', 'MEDIUM', 'HIGH', 'URGENT', null][i % 5]!,
        source_type: ['EMAIL', 'FORM', 'PHONE', 'CHAT', 'API'][i % 5]!,
        hs_ticket_category: i % 2 ? 'PRODUCT_ISSUE' : 'BILLING_ISSUE',
        hubspot_owner_id: i % 3 ? String(40 + (i % 3)) : null,
        hubspot_team_id: '77',
      },
    };
  });
  const archived = tickets.slice(0, 3).map((t) => ({ ...t, archived: true }));
  const feedback = Array.from({ length: 9 }, (_, i): HubspotObject => {
    const at = iso(start + i * 86_400_000);
    const type = ['CSAT', 'NPS', 'CES'][i % 3]!;
    return {
      id: String(8000 + i),
      createdAt: at,
      updatedAt: at,
      archived: false,
      properties: {
        hs_object_id: String(8000 + i),
        hs_survey_type: type,
        hs_value:
          type === 'CSAT'
            ? String(i % 3 === 0 ? [2, 0, 1][(i / 3) % 3] : 1)
            : type === 'NPS'
              ? String(10 - i)
              : String(3 + (i % 4)),
        hs_submission_timestamp: at,
        hs_contact_id: String(300 + i),
        hs_ticket_id: String(1000 + i),
        hs_content: null,
        hs_lastmodifieddate: at,
      },
    };
  });
  return { tickets: tickets.filter((t) => !archived.some((a) => a.id === t.id)), archived, feedback };
}

interface SearchBody {
  filterGroups: { filters: { propertyName: string; operator: string; value: string }[] }[];
  sorts: { propertyName: string; direction: string }[];
  properties: string[];
  limit: number;
  after?: string;
}

export function hubspotServer(account: HubspotAccount): ReplayServer {
  const server = new ReplayServer();
  const pick = (o: HubspotObject, properties: string[]) => ({
    ...o,
    properties: Object.fromEntries(
      ['hs_object_id', 'hs_createdate', 'hs_lastmodifieddate', ...properties]
        .filter((p) => p in o.properties)
        .map((p) => [p, o.properties[p] ?? null]),
    ),
  });
  const sorted = (list: HubspotObject[]) =>
    list
      .map((o) => ({ o, at: Date.parse(o.properties.hs_lastmodifieddate!) }))
      .sort((a, b) => a.at - b.at || Number(a.o.id) - Number(b.o.id));
  const lists = { tickets: sorted(account.tickets), feedback_submissions: sorted(account.feedback) };
  server.route('POST', /^\/crm\/v3\/objects\/(tickets|feedback_submissions)\/search$/, (r) => {
    const body = JSON.parse(r.body) as SearchBody;
    const object = r.path.split('/')[4] as keyof typeof lists;
    const filter = body.filterGroups[0]?.filters[0];
    const since = filter ? Number(filter.value) : 0;
    const after = Number(body.after ?? 0);
    const limit = Math.min(200, body.limit);
    if (after + limit > 10_000)
      return {
        status: 400,
        body: { status: 'error', message: 'There was a problem with the request.', category: 'VALIDATION_ERROR' },
      };
    const matching = lists[object].filter((x) => x.at >= since).map((x) => x.o);
    const page = matching.slice(after, after + limit).map((o) => pick(o, body.properties));
    const more = after + limit < matching.length;
    return {
      body: {
        total: matching.length,
        results: page,
        ...(more ? { paging: { next: { after: String(after + limit), link: '' } } } : {}),
      },
    };
  });
  server.route('GET', /^\/crm\/v3\/pipelines\/tickets$/, () => ({
    body: {
      results: [
        {
          id: '0',
          label: 'Support Pipeline',
          stages: [
            { id: '1', label: 'New', metadata: { ticketState: 'OPEN' } },
            { id: '2', label: 'Waiting on contact', metadata: { ticketState: 'OPEN' } },
            { id: '3', label: 'Waiting on us', metadata: { ticketState: 'OPEN' } },
            { id: '4', label: 'Closed', metadata: { ticketState: 'CLOSED' } },
          ],
        },
      ],
    },
  }));
  server.route('GET', /^\/crm\/v3\/objects\/tickets$/, (r) => {
    if (r.query.get('archived') !== 'true')
      return { status: 400, body: { status: 'error', message: 'archived=true only in this replay' } };
    const after = Number(r.query.get('after') ?? 0);
    const limit = Number(r.query.get('limit') ?? 10);
    const properties = (r.query.get('properties') ?? '').split(',');
    const page = account.archived
      .slice(after, after + limit)
      .map((o) => ({ ...pick(o, properties), archivedAt: '2026-10-30T00:00:00Z' }));
    return {
      body: {
        results: page,
        ...(after + limit < account.archived.length ? { paging: { next: { after: String(after + limit) } } } : {}),
      },
    };
  });
  return server;
}
