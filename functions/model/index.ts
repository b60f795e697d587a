import { contacts } from './contacts.ts';
import { costs } from './costs.ts';
import { customers, subscriptions, surveys } from './customers.ts';
import type { Entity } from './entity.ts';
import { orders, selfService } from './orders.ts';
import { ticketEvents, tickets } from './tickets.ts';
import { agentTime, agents } from './workforce.ts';

export type { Column, ColumnKind } from './columns.ts';
export type { Entity } from './entity.ts';

/** Every canonical entity, in the order the data dictionary lists them. */
export const entities = [
  tickets,
  ticketEvents,
  contacts,
  agents,
  agentTime,
  customers,
  subscriptions,
  surveys,
  costs,
  orders,
  selfService,
] as const satisfies readonly Entity[];

export const entityNameList = [
  'tickets',
  'ticket_events',
  'contacts',
  'agents',
  'agent_time',
  'customers',
  'subscriptions',
  'surveys',
  'costs',
  'orders',
  'self_service',
] as const;

export type EntityName = (typeof entityNameList)[number];

if (entities.some((e, i) => e.name !== entityNameList[i])) throw new Error('entities and EntityName disagree');

export const entityNames: EntityName[] = [...entityNameList];

export function entityByName(name: string): Entity | undefined {
  return entities.find((e) => e.name === name);
}
