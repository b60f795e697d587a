import { isoOrNull, text } from '../api/apiSource.ts';

/**
 * HubSpot ticket (CRM v3; every property a string) → canonical tickets (CONNECTORS.md). Open or
 * closed comes from the pipeline stage's ticketState (stage ids are per pipeline, looked up,
 * never hard-coded). Fills: id, created_at, updated_at, first_response_at, solved_at and
 * closed_at (closed_date, when closed), status, is_deleted (archived), priority, channel,
 * category, assignee_id, group_id. Cannot fill: customer_id (an association, not a property),
 * is_escalated, reopens, agent_replies, satisfaction, team, customer_replies, handle_seconds.
 */
export interface HubspotTicket {
  id: string;
  properties: Record<string, string | null | undefined>;
  archived?: boolean;
}

export const hubspotTicketProperties = [
  'hs_object_id',
  'createdate',
  'hs_lastmodifieddate',
  'first_agent_reply_date',
  'closed_date',
  'hs_pipeline',
  'hs_pipeline_stage',
  'hs_ticket_priority',
  'source_type',
  'hs_ticket_category',
  'hubspot_owner_id',
  'hubspot_team_id',
] as const;

const priorities: Record<string, string> = { LOW: 'low', MEDIUM: 'normal', HIGH: 'high', URGENT: 'urgent' };
const channels: Record<string, string> = { EMAIL: 'email', FORM: 'web', PHONE: 'phone', CHAT: 'chat' };

/** Stage id → OPEN | CLOSED, from GET /crm/v3/pipelines/tickets (keyed pipeline:stage). */
export type StageStates = Map<string, string>;

export function stgHubspotTicket(ticket: HubspotTicket, stages: StageStates): Record<string, string | null> {
  const p = ticket.properties;
  const state = stages.get(`${p.hs_pipeline}:${p.hs_pipeline_stage}`);
  const closed = state === 'CLOSED';
  const closedAt = closed ? isoOrNull(p.closed_date) : null;
  return {
    id: text(p.hs_object_id) ?? ticket.id,
    created_at: isoOrNull(p.createdate),
    updated_at: isoOrNull(p.hs_lastmodifieddate),
    first_response_at: isoOrNull(p.first_agent_reply_date),
    solved_at: closedAt,
    closed_at: closedAt,
    // A stage the pipelines do not list is landed as it is: curate rejects it with its reason.
    status: state === undefined ? text(p.hs_pipeline_stage) : closed ? 'closed' : 'open',
    is_deleted: ticket.archived ? 'true' : 'false',
    priority: p.hs_ticket_priority ? (priorities[p.hs_ticket_priority] ?? p.hs_ticket_priority.toLowerCase()) : null,
    channel: p.source_type ? (channels[p.source_type] ?? 'other') : null,
    category: p.hs_ticket_category ? p.hs_ticket_category.toLowerCase() : null,
    assignee_id: text(p.hubspot_owner_id),
    group_id: text(p.hubspot_team_id),
    customer_id: null,
  };
}
