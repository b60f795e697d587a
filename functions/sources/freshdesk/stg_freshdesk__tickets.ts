import { isoOrNull, text } from '../api/apiSource.ts';

/**
 * Freshdesk ticket (`include=stats`) → canonical tickets (CONNECTORS.md). Fills: id,
 * created_at, updated_at, first_response_at, solved_at (resolved, else closed), closed_at,
 * status, is_deleted, priority, channel, category, assignee_id, group_id, customer_id,
 * is_escalated, reopens (1 when it was ever reopened: a lower bound, the API counts none).
 * Cannot fill: agent_replies, satisfaction (ratings come as surveys), team, customer_replies,
 * handle_seconds.
 */
export interface FreshdeskTicket {
  id: number;
  status: number;
  priority: number;
  source?: number | null;
  type?: string | null;
  requester_id?: number | null;
  responder_id?: number | null;
  group_id?: number | null;
  is_escalated?: boolean | null;
  created_at: string;
  updated_at: string;
  deleted?: boolean;
  stats?: {
    first_responded_at?: string | null;
    resolved_at?: string | null;
    closed_at?: string | null;
    reopened_at?: string | null;
  } | null;
}

const statuses: Record<number, string> = { 2: 'open', 3: 'pending', 4: 'solved', 5: 'closed' };
const priorities: Record<number, string> = { 1: 'low', 2: 'normal', 3: 'high', 4: 'urgent' };
const channels: Record<number, string> = { 1: 'email', 2: 'web', 3: 'phone', 7: 'chat', 9: 'web', 10: 'email' };

export function stgFreshdeskTicket(ticket: FreshdeskTicket): Record<string, string | null> {
  const stats = ticket.stats ?? {};
  return {
    id: String(ticket.id),
    created_at: isoOrNull(ticket.created_at),
    updated_at: isoOrNull(ticket.updated_at),
    first_response_at: isoOrNull(stats.first_responded_at),
    solved_at: isoOrNull(stats.resolved_at ?? stats.closed_at),
    closed_at: isoOrNull(stats.closed_at),
    // Codes 6 and up are the account's own statuses: pending (CONNECTORS.md).
    status: statuses[ticket.status] ?? (ticket.status >= 6 ? 'pending' : String(ticket.status)),
    is_deleted: ticket.deleted ? 'true' : 'false',
    priority: priorities[ticket.priority] ?? String(ticket.priority),
    channel: ticket.source === null || ticket.source === undefined ? null : (channels[ticket.source] ?? 'other'),
    category: ticket.type ? ticket.type.toLowerCase() : null,
    assignee_id: text(ticket.responder_id),
    group_id: text(ticket.group_id),
    customer_id: text(ticket.requester_id),
    is_escalated:
      ticket.is_escalated === null || ticket.is_escalated === undefined ? null : String(ticket.is_escalated),
    reopens: stats.reopened_at ? '1' : '0',
  };
}
