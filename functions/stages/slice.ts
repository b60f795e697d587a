import type { SliceKey } from '../config/schema.ts';
import { sqlString } from '../dialect/sqlText.ts';
import type { EntityName } from '../model/index.ts';

/**
 * A slice (`{"team": "frontline"}`) is applied where the records are read: each curated entity
 * is replaced by a view holding only that slice's rows, so every mart, KPI and breakdown of a
 * sliced report is computed from the slice's records alone and can name nothing outside it.
 *
 * Tickets are the root: a slice picks its tickets (by team, by channel, or by the segment of
 * their customer), and the entities that hang off tickets or customers follow them. An entity
 * that has no link to the slice's dimension (agent time has no channel; the cost ledger has no
 * segment) is absent from the slice, so the KPIs that need it are "not measured", never a
 * number computed from other slices' rows.
 */
export type Slice = Partial<Record<SliceKey, string>>;

/** Where a sliced entity is read from: the unsliced table, renamed. */
export const unsliced = (entity: string) => `${entity}__all`;

const inTickets = (column: string) => `${column} in (select id from tickets)`;
const inCustomers = (column: string) => `${column} in (select id from customers)`;

type Rule = string | 'absent';

/**
 * Each entity's predicate under a slice, in an order where a view refers only to views made
 * before it. `tickets` and `customers` are the sliced views; `*__all` the unsliced tables.
 */
function rules(slice: Slice): [EntityName, Rule][] {
  const team = slice.team === undefined ? undefined : sqlString(slice.team);
  const channel = slice.channel === undefined ? undefined : sqlString(slice.channel);
  const segment = slice.segment === undefined ? undefined : sqlString(slice.segment);
  const all = (...parts: (string | false | undefined)[]) => parts.filter(Boolean).join(' and ');
  const byTickets = Boolean(team || channel);
  return [
    [
      'tickets',
      all(
        team && `team = ${team}`,
        channel && `channel = ${channel}`,
        segment && `customer_id in (select id from ${unsliced('customers')} where segment = ${segment})`,
      ),
    ],
    ['customers', all(segment && `segment = ${segment}`, byTickets && 'id in (select customer_id from tickets)')],
    ['ticket_events', inTickets('ticket_id')],
    ['contacts', inTickets('ticket_id')],
    [
      'surveys',
      byTickets
        ? inTickets('ticket_id')
        : `(${inTickets('ticket_id')} or (ticket_id is null and ${inCustomers('customer_id')}))`,
    ],
    ['subscriptions', inCustomers('customer_id')],
    ['orders', inCustomers('customer_id')],
    ['self_service', inCustomers('customer_id')],
    ['agents', channel || segment ? 'absent' : `team = ${team}`],
    ['agent_time', channel || segment ? 'absent' : 'agent_id in (select id from agents)'],
    ['costs', segment ? 'absent' : all(team && `team = ${team}`, channel && `channel = ${channel}`)],
  ];
}

export interface SlicedView {
  entity: EntityName;
  /** The view's SELECT over the unsliced table, or null when the entity is absent from the slice. */
  sql: string | null;
}

/** The views that stand for the curated entities under a slice, in creation order. */
export function slicedViews(slice: Slice): SlicedView[] {
  return rules(slice).map(([entity, rule]) => ({
    entity,
    sql: rule === 'absent' ? null : `select * from ${unsliced(entity)} where ${rule}`,
  }));
}

/** Entities a slice leaves without rows by construction, with the words that say why. */
export function absentUnderSlice(slice: Slice): Map<EntityName, string> {
  const keys = Object.keys(slice).join(' and ');
  return new Map(
    rules(slice).flatMap(([entity, rule]) =>
      rule === 'absent' ? [[entity, `${entity} cannot be sliced by ${keys}`] as const] : [],
    ),
  );
}

/**
 * A slice as kpi_monthly names its rows: each key=value, keys sorted, joined by ',' (`team=frontline`);
 * a value is URI-encoded, so that no two slices share a key. '' is the whole lake.
 */
export function sliceKey(slice: Slice): string {
  return Object.entries(slice)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${encodeURIComponent(value!)}`)
    .join(',');
}

/** The distinct slices the audiences name, by key: the marts stage measures each of them. */
export function configuredSlices(audiences: readonly { slice?: Slice | undefined }[]): { key: string; slice: Slice }[] {
  const byKey = new Map<string, Slice>();
  for (const { slice } of audiences) if (slice) byKey.set(sliceKey(slice), slice);
  return [...byKey].sort(([a], [b]) => a.localeCompare(b)).map(([key, slice]) => ({ key, slice }));
}

export { describeSlice } from '../config/schema.ts';
