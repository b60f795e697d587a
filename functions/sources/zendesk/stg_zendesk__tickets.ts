import { isoOrNull, text } from '../api/apiSource.ts';

/**
 * Zendesk ticket (incremental cursor export, with its sideloaded metric set) → canonical
 * tickets (CONNECTORS.md, "Canonical mapping"). Fills: id, created_at, updated_at,
 * first_response_at (created_at + the calendar reply time, in whole minutes), solved_at (the
 * last solve), status, is_deleted, priority, channel, category, assignee_id, group_id,
 * customer_id, reopens, agent_replies, satisfaction. Cannot fill: closed_at, is_escalated,
 * team, customer_replies, handle_seconds (left null: the KPIs that need them are notMeasured).
 */
export interface ZendeskTicket {
  id: number;
  created_at: string;
  updated_at: string;
  generated_timestamp?: number;
  status: string;
  priority?: string | null;
  type?: string | null;
  requester_id?: number | null;
  assignee_id?: number | null;
  group_id?: number | null;
  via?: { channel?: string | null } | null;
  satisfaction_rating?: { score?: string | null } | null;
}

export interface ZendeskMetricSet {
  ticket_id: number;
  reply_time_in_minutes?: { calendar?: number | null; business?: number | null } | null;
  solved_at?: string | null;
  reopens?: number | null;
  replies?: number | null;
}

const channels: Record<string, string> = {
  email: 'email',
  web: 'web',
  voice: 'phone',
  chat: 'chat',
  api: 'api',
  twitter: 'social',
  facebook: 'social',
  native_messaging: 'messaging',
  whatsapp: 'messaging',
};

const statuses: Record<string, string> = {
  new: 'new',
  open: 'open',
  pending: 'pending',
  hold: 'on_hold',
  solved: 'solved',
  closed: 'closed',
  deleted: 'closed',
};
const satisfaction: Record<string, string> = { good: '5', bad: '1' };

export function stgZendeskTicket(
  ticket: ZendeskTicket,
  metrics: ZendeskMetricSet | undefined,
): Record<string, string | null> {
  const replyMinutes = metrics?.reply_time_in_minutes?.calendar;
  const created = Date.parse(ticket.created_at);
  return {
    id: String(ticket.id),
    created_at: isoOrNull(ticket.created_at),
    updated_at: isoOrNull(ticket.updated_at),
    first_response_at:
      replyMinutes === null || replyMinutes === undefined || Number.isNaN(created)
        ? null
        : new Date(created + replyMinutes * 60_000).toISOString(),
    solved_at: isoOrNull(metrics?.solved_at),
    closed_at: null,
    // An unknown status is landed as Zendesk spells it: curate rejects it with its reason.
    status: statuses[ticket.status] ?? ticket.status,
    is_deleted: ticket.status === 'deleted' ? 'true' : 'false',
    priority: text(ticket.priority),
    channel: ticket.via?.channel ? (channels[ticket.via.channel] ?? 'other') : null,
    category: text(ticket.type),
    assignee_id: text(ticket.assignee_id),
    group_id: text(ticket.group_id),
    customer_id: text(ticket.requester_id),
    reopens: text(metrics?.reopens),
    agent_replies: text(metrics?.replies),
    satisfaction: satisfaction[ticket.satisfaction_rating?.score ?? ''] ?? null,
  };
}
