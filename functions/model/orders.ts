import { z } from 'zod';
import { col } from './columns.ts';
import { defineEntity } from './entity.ts';

export const orders = defineEntity({
  name: 'orders',
  description: 'Customer orders, for the order-handling KPIs (SCOR perfect order).',
  key: ['id'],
  monthOf: 'ordered_at',
  schema: z.object({
    id: col.id('Order id.'),
    customer_id: col.id('Customer.').optional(),
    ordered_at: col.timestamp('Customer placed the order (UTC).'),
    notified_at: col.timestamp('Order notified to the team (UTC).').optional(),
    entered_at: col.timestamp('Order captured in the system (UTC).').optional(),
    shipped_at: col.timestamp('First shipment (UTC).').optional(),
    delivered_at: col.timestamp('Delivered (UTC).').optional(),
    entry_errors: col.count('Errors found in the order entry.').default(0),
    items_requested: col.count('Items ordered.'),
    items_shipped_first: col.count('Items in the first shipment.').default(0),
    invoice_accurate: col.flag('Invoice needed no later correction.').default(true),
    status_updates_accurate: col.flag('Every status update sent was correct.').default(true),
  }),
});

export const selfService = defineEntity({
  name: 'self_service',
  description: 'Self-service (help centre, portal) sessions.',
  key: ['session_id'],
  monthOf: 'started_at',
  schema: z.object({
    session_id: col.id('Session id.'),
    customer_id: col.id('Customer.').optional(),
    started_at: col.timestamp('Session start (UTC).'),
    completed: col.flag('The request was completed without an agent.'),
    screens: col.count('Screens viewed.'),
    clicks: col.count('Clicks.'),
  }),
});
