import { z } from 'zod';
import { col } from './columns.ts';
import { defineEntity } from './entity.ts';

export const customers = defineEntity({
  name: 'customers',
  description: 'Customers (accounts): one row per customer.',
  key: ['id'],
  schema: z.object({
    id: col.id('Customer id.'),
    segment: col.text('Segment (e.g. enterprise, mid-market, smb).').default('unknown'),
    region: col.text('Region.').optional(),
    signed_up_on: col.date('Signup day; its month is the retention cohort.'),
  }),
});

export const subscriptions = defineEntity({
  name: 'subscriptions',
  description: 'Subscriptions, running from started_on (inclusive) to cancelled_on (exclusive).',
  key: ['customer_id', 'plan', 'started_on'],
  schema: z.object({
    customer_id: col.id('Customer (customers.id).'),
    plan: col.text('Plan name.'),
    mrr: col.money('Monthly recurring revenue while running.', { min: 0 }),
    started_on: col.date('First day running.'),
    cancelled_on: col.date('First day no longer running.').optional(),
    cancel_reason: col.text('Reason given on cancel.').optional(),
  }),
});

export const surveyKinds = ['csat', 'nps', 'ces'] as const;

export const surveys = defineEntity({
  name: 'surveys',
  description: 'Survey answers: CSAT (1-5), NPS (0-10), CES (1-7).',
  key: ['id'],
  monthOf: 'answered_at',
  // The scale of each kind (CSAT 1-5, CES 1-7) is a cross-field check in rowRules.ts.
  schema: z.object({
    id: col.id('Answer id.'),
    ticket_id: col.id('Ticket surveyed.').optional(),
    customer_id: col.id('Customer.').optional(),
    kind: col.enum(surveyKinds, 'Survey kind.'),
    score: col.score(0, 10, "Score on the kind's scale."),
    comment: col.text('Free-text comment.').optional(),
    answered_at: col.timestamp('Answered (UTC).'),
  }),
});
