import { z } from 'zod';
import { col } from './columns.ts';
import { defineEntity } from './entity.ts';

export const costCategories = [
  'labor',
  'telephony',
  'network',
  'infrastructure',
  'tooling',
  'facilities',
  'overhead',
] as const;

export const costs = defineEntity({
  name: 'costs',
  description: 'Cost ledger: one row per period, cost centre, category, channel and team.',
  key: ['period', 'cost_center', 'category', 'channel', 'team'],
  monthOf: 'period',
  monthIsLiteral: true,
  schema: z.object({
    period: col.month('Month the cost belongs to (YYYY-MM).'),
    cost_center: col.text('Cost centre.'),
    category: col.enum(costCategories, 'Cost category; labor rows are indirect staff (leads, QA).'),
    channel: col.text('Channel the cost serves; absent: shared.').optional(),
    team: col.text('Team the cost serves; absent: shared.').optional(),
    amount: col.money('Amount in the currency.'),
    currency: col.text('ISO currency code.').default('USD'),
  }),
});
