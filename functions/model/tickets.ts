import { z } from 'zod';
import { col } from './columns.ts';
import { defineEntity } from './entity.ts';

export const ticketChannels = ['email', 'web', 'phone', 'chat', 'social', 'messaging', 'api', 'other'] as const;
export const ticketPriorities = ['low', 'normal', 'high', 'urgent'] as const;
export const ticketStatuses = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'] as const;

export const tickets = defineEntity({
  name: 'tickets',
  description: 'Support tickets (cases), one row per ticket; the latest updated_at wins.',
  key: ['id'],
  version: 'updated_at',
  monthOf: 'created_at',
  schema: z.object({
    id: col.id('Ticket id in the source system.'),
    source: col.id('Source the ticket came from (the config source name).'),
    customer_id: col.id('Requesting customer (organisation or account).').optional(),
    channel: col.enum(ticketChannels, 'Channel the ticket arrived by.').default('other'),
    category: col.text('Category, type or reason, as the source names it.').optional(),
    priority: col.enum(ticketPriorities, 'Priority.').default('normal'),
    status: col.enum(ticketStatuses, 'Status at updated_at.'),
    is_deleted: col.flag('Deleted in the source; dropped before any metric.').default(false),
    created_at: col.timestamp('Created (UTC).'),
    first_response_at: col.timestamp('First public agent reply (UTC).').optional(),
    solved_at: col.timestamp('Last solve (UTC).').optional(),
    closed_at: col.timestamp('Closed (UTC).').optional(),
    updated_at: col.timestamp('Last update of this version (UTC); orders versions.').optional(),
    assignee_id: col.id('Assigned agent (agents.id).').optional(),
    team: col.text('Team of the assignee or group.').optional(),
    group_id: col.id('Group or queue id.').optional(),
    is_escalated: col.flag('Escalated at least once.').default(false),
    reopens: col.count('Times reopened after a solve.').default(0),
    agent_replies: col.count('Public agent replies.').optional(),
    customer_replies: col.count('Customer replies.').optional(),
    handle_seconds: col.seconds('Agent time spent on the ticket, in seconds.').optional(),
    satisfaction: col.score(1, 5, 'Satisfaction rating on the ticket, 1-5.').optional(),
  }),
});

export const ticketEventKinds = ['reply', 'status_change', 'assignment', 'escalation'] as const;

export const ticketEvents = defineEntity({
  name: 'ticket_events',
  description: 'Optional audit trail of ticket events.',
  key: ['ticket_id', 'at', 'kind'],
  monthOf: 'at',
  schema: z.object({
    ticket_id: col.id('Ticket (tickets.id).'),
    at: col.timestamp('When the event happened (UTC).'),
    kind: col.enum(ticketEventKinds, 'What happened.'),
    actor: col.text('Who did it (agent id, customer, system).').optional(),
  }),
});
