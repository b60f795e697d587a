import { z } from 'zod';
import { col } from './columns.ts';
import { defineEntity } from './entity.ts';

export const contactChannels = ['voice', 'chat', 'email'] as const;

export const contacts = defineEntity({
  name: 'contacts',
  description: 'Queued contacts (calls, chats) as a contact centre records them (Amazon Connect style).',
  key: ['id'],
  monthOf: 'queued_at',
  schema: z.object({
    id: col.id('Contact id.'),
    ticket_id: col.id('Ticket the contact belongs to.').optional(),
    customer_id: col.id('Customer.').optional(),
    channel: col.enum(contactChannels, 'Contact channel.'),
    queued_at: col.timestamp('Entered the queue (UTC).'),
    answered_at: col.timestamp('Answered by an agent (UTC).').optional(),
    ended_at: col.timestamp('Ended (UTC).').optional(),
    abandoned: col.flag('Customer left the queue before an answer.').default(false),
    talk_seconds: col.seconds('Talk time, seconds.').default(0),
    hold_seconds: col.seconds('Hold time, seconds.').default(0),
    after_contact_seconds: col.seconds('After-contact work, seconds.').default(0),
    agent_id: col.id('Answering agent.').optional(),
  }),
});
