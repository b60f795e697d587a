import type { z } from 'zod';
import type { Entity } from './entity.ts';

/**
 * The bad-input rules of docs/design.md ("Bad input"), as data beside the model, so the JavaScript
 * extract applies them today and the SQL generated for curate can apply the same list later.
 *
 * A row is rejected only when it cannot be placed: a required field (no default, not optional in
 * the entity's zod schema) is missing or unreadable. A bad value in any other field becomes the
 * field's default or null, and is counted as a field issue.
 */
export const reasonCodes = [
  'missing_required',
  'bad_timestamp',
  'bad_date',
  'bad_number',
  'bad_boolean',
  'unknown_value',
  'out_of_range',
  'column_count',
  'malformed_csv',
  'bad_encoding',
  'currency_mismatch',
  'inconsistent',
] as const;

export type ReasonCode = (typeof reasonCodes)[number];

/**
 * What a cross-field check compares. `notBefore`: `field` must not precede `than` (dates and
 * timestamps). `notAbove`: `field` must not exceed `than` (numbers). `scale`: `field` must lie
 * within the range its `by` field's value gives. `equalsConfig`: `field` must equal the config
 * value `config` (compared case-insensitively; an empty field takes it).
 */
export type CrossFieldCheck =
  | { test: 'notBefore'; field: string; than: string }
  | { test: 'notAbove'; field: string; than: string }
  | { test: 'scale'; field: string; by: string; ranges: Record<string, readonly [number, number]> }
  | { test: 'equalsConfig'; field: string; config: 'currency' };

/**
 * What a failed check does: `reject` the row, make `field` a field issue (null), or `keep` the
 * row as it is (curate's SQL leaves it out of the time metrics and counts it in dataQuality).
 */
export type CrossFieldRule = CrossFieldCheck & {
  outcome: 'reject' | 'fieldIssue' | 'keep';
  reason: ReasonCode;
  why: string;
};

const keptOutOfTimeMetrics = (field: string, than: string): CrossFieldRule => ({
  test: 'notBefore',
  field,
  than,
  outcome: 'keep',
  reason: 'inconsistent',
  why: `${field} before ${than}: kept, left out of the time metrics by curate (docs/rules.md, "Records")`,
});

/** Every entity's cross-field checks (docs/design.md, "Impossible combinations"); an entity absent here has none. */
export const crossFieldRules: Record<string, readonly CrossFieldRule[]> = {
  tickets: [
    keptOutOfTimeMetrics('first_response_at', 'created_at'),
    keptOutOfTimeMetrics('solved_at', 'created_at'),
    keptOutOfTimeMetrics('closed_at', 'created_at'),
  ],
  orders: [
    keptOutOfTimeMetrics('notified_at', 'ordered_at'),
    keptOutOfTimeMetrics('entered_at', 'notified_at'),
    keptOutOfTimeMetrics('delivered_at', 'ordered_at'),
    keptOutOfTimeMetrics('delivered_at', 'entered_at'),
    {
      test: 'notAbove',
      field: 'items_shipped_first',
      than: 'items_requested',
      outcome: 'fieldIssue',
      reason: 'inconsistent',
      why: 'more items shipped than requested',
    },
  ],
  contacts: [
    // A contact is placed by queued_at; an answer or an end before it is a clock error in the
    // contact centre's export, so that time alone is dropped (the contact still counts as queued).
    {
      test: 'notBefore',
      field: 'answered_at',
      than: 'queued_at',
      outcome: 'fieldIssue',
      reason: 'inconsistent',
      why: 'answered before it was queued',
    },
    {
      test: 'notBefore',
      field: 'ended_at',
      than: 'queued_at',
      outcome: 'fieldIssue',
      reason: 'inconsistent',
      why: 'ended before it was queued',
    },
    {
      test: 'notBefore',
      field: 'ended_at',
      than: 'answered_at',
      outcome: 'fieldIssue',
      reason: 'inconsistent',
      why: 'ended before it was answered',
    },
  ],
  subscriptions: [
    {
      test: 'notBefore',
      field: 'cancelled_on',
      than: 'started_on',
      outcome: 'reject',
      reason: 'inconsistent',
      why: 'cancelled before it started',
    },
  ],
  agents: [
    {
      test: 'notBefore',
      field: 'left_on',
      than: 'hired_on',
      outcome: 'reject',
      reason: 'inconsistent',
      why: 'left before being hired',
    },
  ],
  agent_time: [
    {
      test: 'notAbove',
      field: 'hours_on_tickets',
      than: 'hours_worked',
      outcome: 'fieldIssue',
      reason: 'inconsistent',
      why: 'more hours on tickets than hours worked',
    },
  ],
  surveys: [
    {
      test: 'scale',
      field: 'score',
      by: 'kind',
      ranges: { csat: [1, 5], nps: [0, 10], ces: [1, 7] },
      outcome: 'reject',
      reason: 'out_of_range',
      why: 'outside the scale of its kind (CSAT 1-5, NPS 0-10, CES 1-7)',
    },
  ],
  costs: [
    // No silent conversion: a ledger in another currency would add euros to dollars.
    {
      test: 'equalsConfig',
      field: 'currency',
      config: 'currency',
      outcome: 'reject',
      reason: 'currency_mismatch',
      why: "in another currency than the config's",
    },
  ],
  // customers, ticket_events, self_service: docs/design.md names no impossible combination for them.
};

/** Fields that place a row: required by the schema, with no default (docs/design.md, "Bad input"). */
export function placingFields(entity: Entity): Set<string> {
  const placing = new Set<string>();
  for (const column of entity.columns) {
    const field = entity.schema.shape[column.name] as z.ZodType | undefined;
    if (column.required && !(field?.safeParse(undefined).success ?? false)) placing.add(column.name);
  }
  return placing;
}

/** The config values cross-field checks compare with. */
export interface RuleConfig {
  currency?: string;
}

/** A field compared with the config takes the config's value when the export leaves it empty. */
export function configDefaults(entityName: string, config: RuleConfig): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const rule of crossFieldRules[entityName] ?? []) {
    if (rule.test === 'equalsConfig' && config[rule.config] !== undefined) defaults[rule.field] = config[rule.config];
  }
  return defaults;
}

export interface CheckFailure {
  rule: CrossFieldRule;
  field: string;
}

function comparable(value: unknown): number | string | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number' || typeof value === 'string') return value;
  return undefined;
}

/** The checks a typed record fails (only those the JavaScript path acts on: not `keep`). */
export function failedChecks(entityName: string, record: Record<string, unknown>, config: RuleConfig): CheckFailure[] {
  const failures: CheckFailure[] = [];
  for (const rule of crossFieldRules[entityName] ?? []) {
    if (rule.outcome === 'keep') continue;
    const value = record[rule.field];
    if (value === undefined || value === null) continue;
    let failed = false;
    switch (rule.test) {
      case 'notBefore':
      case 'notAbove': {
        const a = comparable(value);
        const b = comparable(record[rule.than]);
        if (a !== undefined && b !== undefined) failed = rule.test === 'notBefore' ? a < b : a > b;
        break;
      }
      case 'scale': {
        const range = rule.ranges[String(record[rule.by])];
        failed = range !== undefined && typeof value === 'number' && (value < range[0] || value > range[1]);
        break;
      }
      case 'equalsConfig': {
        const expected = config[rule.config];
        failed = expected !== undefined && String(value).trim().toUpperCase() !== expected.toUpperCase();
        break;
      }
    }
    if (failed) failures.push({ rule, field: rule.field });
  }
  return failures;
}
