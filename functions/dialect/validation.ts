import { z } from 'zod';
import type { Column, Entity } from '../model/index.ts';
import {
  configDefaults,
  crossFieldRules,
  placingFields,
  type CrossFieldRule,
  type RuleConfig,
} from '../model/rowRules.ts';
import { formatOfLuxon, usFormats, type RuleDialect, type StrptimeFormat } from './ruleDialect.ts';
import { amountSql } from './currency.ts';
import { ident, sqlString } from './sqlText.ts';

/**
 * The bad-input rules of docs/design.md ("Bad input") as one SELECT, generated from the entity's zod
 * schema, its cross-field rules (model/rowRules.ts) and the source's mapping. It reads a relation
 * `landed` of untyped text: `_file`, `_row`, `_line`, `_reject` and `_message` (a row the reader
 * could not split, with its reason), and one varchar column per canonical field the source fills.
 * It returns each row once, with
 *
 * - `_reason`, `_field`, `_message`: why the row is rejected (null when it is accepted);
 * - every column of the entity, typed, defaulted, and null where a value was set aside;
 * - `_issue_<field>`: the reason a bad value in that field was set aside (a field issue).
 *
 * A row is rejected only for what places it: a required field missing or unreadable, a reject
 * rule; a bad value elsewhere takes the field's default (or null for a count, duration or
 * amount: a null is left out of sums, never read as 0) and is counted as a field issue.
 */
export interface ValidationSpec {
  entity: Entity;
  /** The canonical fields `landed` carries. A required field missing here is caught when the header is bound. */
  fields: readonly string[];
  /** canonical field → { source value → canonical value } (matched exactly, then case-insensitively). */
  values: Record<string, Record<string, string>>;
  /** The zone of timestamps written without an offset. */
  zone: string;
  dateFormat?: string | undefined;
  decimal?: '.' | ',' | undefined;
  /** Values an absent or empty field takes before the schema's default: a ticket's source. */
  defaults: Record<string, string>;
  /** Config values the rules compare with (the cost ledger's currency). */
  config: RuleConfig;
  /** False when no cell starts or ends with whitespace (the landing scan saw none): no trim. */
  padded?: boolean | undefined;
  /** False when no cell holds a control character (the landing scan saw none): no search. */
  controls?: boolean | undefined;
}

const utcZones = new Set(['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT']);
const controlCharacters = '[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]';
const dateOnly = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';
const usSlash = '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}( [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?( ?[AaPp][Mm])?)?$';
const monthText = '^[0-9]{4}-(0[1-9]|1[0-2])$';
/** A run of exactly four digits: the year a source's dateFormat (yyyy) must be written with. */
const fourDigitYear = '(^|[^0-9])[0-9]{4}([^0-9]|$)';
/** How ISO 8601 text starts: the only text the engines' casts are given. */
const isoStart = '^[0-9]{4}-';
const commaThousands = '^-?[0-9]{1,3}(,[0-9]{3})+(\\.[0-9]+)?$';
/** What a comma in a number needs when the source names no `decimal`. */
export const commaHint =
  ": a comma in a number is read only with the source's decimal set " +
  '(decimal ",": 12,5 is 12.5 and 1.250,5 is 1250.5; decimal ".": 12,500 is 12500)';
const dotThousands = '^-?[0-9]{1,3}(\\.[0-9]{3})+(,[0-9]+)?$';
const commaDecimal = '^-?[0-9]+(,[0-9]+)?$';
/**
 * What a number is, whichever engine casts it: digits with an optional sign, point and exponent.
 * Each engine's varchar → double cast reads more, and not the same more: Trino's follows Java's
 * Double.valueOf (https://docs.oracle.com/javase/8/docs/api/java/lang/Double.html#valueOf-java.lang.String-:
 * `5d`, `0x1p3`, `Infinity`; Trino docs, https://trino.io/docs/current/functions/conversion.html),
 * DuckDB's takes `1_000` (https://duckdb.org/docs/stable/sql/data_types/literal_types). So the
 * text is held to this grammar before the cast: the same export gives the same values and the
 * same bad_number rejects on both.
 */
export const numberGrammar = '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$';
const trueWords = ['true', 't', 'yes', 'y', '1'];
const falseWords = ['false', 'f', 'no', 'n', '0'];
/** Kinds whose bad value is null even where the schema defaults: a null count is left out of sums. */
const measureKinds = new Set<Column['kind']>(['integer', 'number', 'money']);
const maxSafeInteger = 9007199254740991;

const list = (values: readonly string[]) => `(${values.map(sqlString).join(', ')})`;

function literal(value: unknown, column: Column): string {
  if (typeof value === 'string') return sqlString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return `cast(${value} as ${column.sqlType})`;
  throw new Error(`${column.name}: a default of type ${typeof value} has no SQL literal`);
}

/** The zod schema under a column's optional/default wrappers, with its default (if any). */
function innerOf(entity: Entity, column: Column): { inner: z.ZodType; fallback: unknown } {
  let schema = entity.schema.shape[column.name] as z.ZodType;
  const parsed = schema.safeParse(undefined);
  const fallback = parsed.success ? parsed.data : undefined;
  while (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault) {
    schema = (schema instanceof z.ZodDefault ? schema.def.innerType : schema.unwrap()) as z.ZodType;
  }
  return { inner: schema, fallback };
}

interface Bound {
  lower?: number;
  lowerInclusive: boolean;
  upper?: number;
  upperInclusive: boolean;
}

/** A number schema's range, read from its zod checks (min/gt/max/lt). */
function rangeOf(schema: z.ZodType): Bound {
  const bound: Bound = { lowerInclusive: true, upperInclusive: true };
  for (const check of (
    schema.def as { checks?: { _zod: { def: { check: string; value: unknown; inclusive?: boolean } } }[] }
  ).checks ?? []) {
    const def = check._zod.def;
    if (def.check === 'greater_than') {
      bound.lower = Number(def.value);
      bound.lowerInclusive = def.inclusive ?? false;
    } else if (def.check === 'less_than') {
      bound.upper = Number(def.value);
      bound.upperInclusive = def.inclusive ?? false;
    }
  }
  return bound;
}

function outside(value: string, bound: Bound): string | undefined {
  const tests: string[] = [];
  if (bound.lower !== undefined) tests.push(`${value} ${bound.lowerInclusive ? '<' : '<='} ${bound.lower}`);
  if (bound.upper !== undefined) tests.push(`${value} ${bound.upperInclusive ? '>' : '>='} ${bound.upper}`);
  return tests.length > 0 ? tests.join(' or ') : undefined;
}

function rangeText(bound: Bound): string {
  const low = bound.lower === undefined ? '' : `${bound.lowerInclusive ? '≥' : '>'} ${bound.lower}`;
  const high = bound.upper === undefined ? '' : `${bound.upperInclusive ? '≤' : '<'} ${bound.upper}`;
  return [low, high].filter(Boolean).join(' and ');
}

/** The SQL of one column's steps: the text, the value read from it, and what went wrong. */
interface ColumnSql {
  column: Column;
  /** Trimmed, mapped text; null when empty or absent. */
  text: string;
  /** The value read from the text, null when unreadable (stage 2, over `text`). */
  value: string;
  /** A timestamp's wall clock as written, before its zone (stage 2, over `text`), for the DST check. */
  wallClock?: string;
  /** A money amount's number and currency marker as written (stage 2, over `text`): `n_` and `m_`. */
  amount?: { number: string; marker: string };
  /** A reason the text could not be read as its kind (stage 3, over `t_`, `v_` and `w_`). */
  unreadable: string;
  /** A reason the schema refuses the value read (stage 3, over `v_`). */
  refused: string;
  /** The message of a reject for this field (stage 3). */
  message: string;
  fallback: string;
  placing: boolean;
}

function valueMapped(
  expr: string,
  values: Record<string, string> | undefined,
  d: RuleDialect,
  padded: boolean,
): string {
  const trimmed = padded ? d.trim(expr) : expr;
  if (!values || Object.keys(values).length === 0) return trimmed;
  const entries = Object.entries(values);
  const exact = entries.map(([k, v]) => `when ${trimmed} = ${sqlString(k.trim())} then ${sqlString(v)}`);
  // The first key of a case-insensitive tie wins, in the config's key order.
  const seen = new Set<string>();
  const lower = entries
    .filter(([k]) => !seen.has(k.trim().toLowerCase()) && seen.add(k.trim().toLowerCase()))
    .map(([k, v]) => `when lower(${trimmed}) = ${sqlString(k.trim().toLowerCase())} then ${sqlString(v)}`);
  return `case ${[...exact, ...lower].join(' ')} else ${trimmed} end`;
}

/**
 * The text when it starts as ISO 8601 does (a four-digit year, then `-`), else null: only such
 * text goes to the engines' casts. DuckDB's would read `10/5/26` as 26 May of the year 10, where
 * Trino's refuses it.
 */
const isoOnly = (t: string, d: RuleDialect) => `case when ${d.matches(t, isoStart)} then ${t} end`;

/** Whether a format writes its year with two digits (`yy`). */
const twoDigitYear = (format: StrptimeFormat) => format.some((p) => typeof p !== 'string' && p.field === 'year2');

/** A format's shape as a regular expression: `yy` exactly two digits, `yyyy` four, other numbers one or two. */
function shapeOf(format: StrptimeFormat): string {
  const digits: Record<string, string> = { year: '[0-9]{4}', year2: '[0-9]{2}', millis: '[0-9]{1,3}' };
  return format
    .map((p) =>
      typeof p === 'string'
        ? p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        : p.field === 'ampm'
          ? '[AaPp][Mm]'
          : (digits[p.field] ?? '[0-9]{1,2}'),
    )
    .join('');
}

/**
 * Text in the source's dateFormat as a wall clock. With `yyyy`, the year must be written with four
 * digits: given two, each engine's %Y reads the year 26. With `yy`, the text must have the format's
 * shape, and the year is 20yy (2000–2099), one pivot on both engines: each reads %y in its own
 * century window (DuckDB 1969–2068, Trino 1970–2069), so a year before 2000 is moved 100 years on.
 */
function inFormats(t: string, formats: readonly StrptimeFormat[], d: RuleDialect): string {
  const read = d.wallClockIn(t, formats);
  if (!formats.some(twoDigitYear)) return `case when ${d.matches(t, fourDigitYear)} then ${read} end`;
  const shape = `^(${formats.map(shapeOf).join('|')})$`;
  return `case when ${d.matches(t, shape)} then ${read} + case when year(${read}) < 2000 then interval '100' year else interval '0' year end end`;
}

/**
 * Text as a UTC timestamp: with its offset, else as the wall clock of the source's zone (ISO 8601,
 * then the source's dateFormat, or without one the US M/d/yyyy shapes). `wallClock` is the zone-
 * less reading, for the DST check; in UTC there is none to make, and one cast reads both kinds.
 */
function timestampSql(t: string, spec: ValidationSpec, d: RuleDialect): { utc: string; wallClock?: string } {
  const formats: StrptimeFormat[] = spec.dateFormat
    ? [formatOfLuxon(spec.dateFormat), formatOfLuxon(spec.dateFormat.split(/[ T]/)[0]!)]
    : [];
  // A source with a dateFormat reads that or ISO 8601, never a guessed US M/d/yyyy.
  const others =
    formats.length > 0
      ? inFormats(t, formats, d)
      : `case when ${d.matches(t, usSlash)} then ${d.wallClockIn(t, usFormats)} end`;
  const iso = isoOnly(t, d);
  // An offset ends the text: +hh:mm or +hhmm (a date alone is 10 characters and has none), or Z.
  const signed = `(length(${t}) > 10 and (substr(${t}, -6, 1) in ('+', '-') or substr(${t}, -5, 1) in ('+', '-')))`;
  // In UTC, Z changes nothing: the plain (faster) cast reads it (Trino's once the dialect drops the Z);
  // only a signed offset needs the zone-aware one.
  if (utcZones.has(spec.zone))
    return { utc: `case when ${signed} then ${d.instantOf(iso)} else coalesce(${d.wallClockOf(iso)}, ${others}) end` };
  const offset = `(substr(${t}, -1) in ('Z', 'z') or ${signed})`;
  const wallClock = `case when not ${offset} then coalesce(${d.wallClockOf(iso)}, ${others}) end`;
  return {
    utc: `coalesce(${d.instantOf(`case when ${offset} then ${iso} end`)}, ${d.utcOf(wallClock, spec.zone)})`,
    wallClock,
  };
}

function columnSql(
  entity: Entity,
  column: Column,
  spec: ValidationSpec,
  placing: Set<string>,
  d: RuleDialect,
): ColumnSql {
  const { inner, fallback: schemaFallback } = innerOf(entity, column);
  const fallbackValue = spec.defaults[column.name] ?? schemaFallback;
  const fallback = fallbackValue === undefined ? 'null' : literal(fallbackValue, column);
  const t = ident(`t_${column.name}`);
  const v = ident(`v_${column.name}`);
  const w = ident(`w_${column.name}`);
  const text = spec.fields.includes(column.name)
    ? `nullif(${valueMapped(ident(column.name), spec.values[column.name], d, spec.padded !== false)}, '')`
    : 'cast(null as varchar)';
  const quoted = `'"' || ${t} || '"'`;
  // The row is searched once (`_controls`, stage 2); a field only when the row holds one.
  const control = `(_controls and ${d.matches(t, controlCharacters)})`;
  let value = t;
  let wallClock: string | undefined;
  let amount: ColumnSql['amount'];
  let unreadable = `case when ${control} then 'bad_encoding' end`;
  let refused = 'cast(null as varchar)';
  let message: string | undefined;
  const bad = (reason: string, test: string) =>
    `case when ${t} is null then null when ${control} then 'bad_encoding' when ${test} then ${sqlString(reason)} end`;
  switch (column.kind) {
    case 'timestamp': {
      const read = timestampSql(t, spec, d);
      wallClock = read.wallClock;
      // The zone-less reading is made once (stage 2), then placed in the zone.
      value = wallClock
        ? `case when ${w} is not null then ${d.utcOf(w, spec.zone)} else ${d.instantOf(isoOnly(t, d))} end`
        : read.utc;
      // A wall-clock time skipped when DST starts never happened: read back, it is another hour.
      const gap = wallClock ? `${w} is not null and ${d.wallClockAt(v, spec.zone)} <> ${w}` : 'false';
      unreadable = `case when ${t} is null then null when ${control} then 'bad_encoding' when ${v} is null then 'bad_timestamp' when ${gap} then 'dst_gap' end`;
      break;
    }
    case 'date': {
      const formatted = spec.dateFormat
        ? inFormats(t, [formatOfLuxon(spec.dateFormat.split(/[ T]/)[0]!)], d)
        : 'cast(null as timestamp)';
      const asTimestamp = timestampSql(t, spec, d).utc;
      value = `case when ${d.matches(t, dateOnly)} then try_cast(${t} as date) else coalesce(cast(${formatted} as date), cast(${d.wallClockAt(asTimestamp, spec.zone)} as date)) end`;
      unreadable = bad('bad_date', `${v} is null`);
      break;
    }
    case 'integer':
    case 'number':
    case 'money': {
      // A money amount's currency marker is set apart first (stage 2): `n` is the number as written.
      const money = column.kind === 'money' ? amountSql(t, spec.config.currency ?? 'USD', d) : undefined;
      if (money) amount = { number: money.number, marker: money.marker };
      const n = money ? ident(`n_${column.name}`) : t;
      const m = ident(`m_${column.name}`);
      const cleaned =
        spec.decimal === ','
          ? `case when ${d.matches(n, dotThousands)} then replace(replace(${n}, '.', ''), ',', '.') when ${d.matches(n, commaDecimal)} then replace(${n}, ',', '.') when strpos(${n}, ',') > 0 then null else ${n} end`
          : spec.decimal === '.'
            ? `case when strpos(${n}, ',') > 0 and ${d.matches(n, commaThousands)} then replace(${n}, ',', '') else ${n} end`
            : // No decimal key: a comma is never guessed a thousands separator (12,500 beside 90,5).
              n;
      const number = `case when ${d.matches(`(${cleaned})`, numberGrammar)} then try_cast(${cleaned} as double) end`;
      value = `case when ${d.isFinite(number)} then ${number} end`;
      unreadable = bad(
        'bad_number',
        column.kind === 'integer' ? `${v} is null or ${v} <> floor(${v})` : `${v} is null`,
      );
      // Letters that name no currency leave the amount unreadable; another currency's, refused.
      if (money)
        unreadable = `coalesce(${bad('bad_number', `${money.unknown(m)} or ${v} is null`)}, case when ${t} is not null and ${money.mismatch(m)} then 'currency_mismatch' end)`;
      const range = rangeOf(inner);
      if (column.kind === 'integer') {
        range.lower = Math.max(range.lower ?? -maxSafeInteger, -maxSafeInteger);
        range.upper = Math.min(range.upper ?? maxSafeInteger, maxSafeInteger);
      }
      const test = outside(v, range);
      if (test) refused = `case when ${test} then 'out_of_range' end`;
      message = `cast(${v} as varchar) || ' is out of range (${rangeText(range)})'`;
      break;
    }
    case 'boolean':
      value = `case when lower(${t}) in ${list(trueWords)} then true when lower(${t}) in ${list(falseWords)} then false end`;
      unreadable = bad('bad_boolean', `${v} is null`);
      break;
    case 'enum': {
      const values = column.values ?? [];
      // Most cells are already a canonical value: the replace runs only for the others.
      value = `case when lower(${t}) in ${list(values)} then lower(${t}) else ${d.replaceAll(`lower(${t})`, '[\\s-]+', '_')} end`;
      refused = `case when ${v} not in ${list(values)} then 'unknown_value' end`;
      message = `'"' || ${v} || '" is not one of ${values.join(', ')}'`;
      break;
    }
    case 'month':
      refused = `case when not ${d.matches(v, monthText)} then 'bad_date' end`;
      message = `'"' || ${v} || '" is not a month (YYYY-MM)'`;
      break;
    default:
      break;
  }
  const notRead: Record<string, string> = {
    bad_encoding: `'holds a control character: a binary or mis-decoded export; check the source''s encoding'`,
    bad_timestamp: `${quoted} || ${sqlString(` is not a timestamp${spec.dateFormat ? ` in the format ${spec.dateFormat}` : ''}`)}`,
    dst_gap: `${quoted} || ${sqlString(` does not exist in ${spec.zone} (the hour skipped when daylight saving starts): check the source's timezone`)}`,
    bad_date: `${quoted} || ' is not a date'`,
    bad_number: `${quoted} || ${sqlString(column.kind === 'integer' ? ' is not a whole number' : ' is not a number')}${
      spec.decimal === undefined ? ` || case when strpos(${t}, ',') > 0 then ${sqlString(commaHint)} else '' end` : ''
    }`,
    bad_boolean: `${quoted} || ' is not true/false'`,
    currency_mismatch: `${quoted} || ${sqlString(` is in another currency than the config's ${spec.config.currency ?? 'USD'}: amounts are never converted`)}`,
  };
  const e = ident(`e_${column.name}`);
  const detail = `case when ${e} is not null then case ${e} ${Object.entries(notRead)
    .map(([r, m]) => `when ${sqlString(r)} then ${m}`)
    .join(
      ' ',
    )} end when ${t} is null then 'required, and the cell is empty' else ${message ?? `${quoted} || ' is refused'`} end`;
  return {
    column,
    text,
    value,
    ...(wallClock ? { wallClock } : {}),
    ...(amount ? { amount } : {}),
    unreadable,
    refused,
    message: detail,
    fallback,
    placing: placing.has(column.name),
  };
}

function ruleTest(rule: CrossFieldRule, value: (field: string) => string, config: RuleConfig): string | undefined {
  const a = value(rule.field);
  switch (rule.test) {
    case 'notBefore':
      return `${a} < ${value(rule.than)}`;
    case 'notAbove':
      return `${a} > ${value(rule.than)}`;
    case 'scale':
      return `case ${value(rule.by)} ${Object.entries(rule.ranges)
        .map(([k, [lo, hi]]) => `when ${sqlString(k)} then ${a} < ${lo} or ${a} > ${hi}`)
        .join(' ')} else false end`;
    case 'equalsConfig': {
      const expected = config[rule.config];
      return expected === undefined ? undefined : `upper(trim(${a})) <> ${sqlString(expected.toUpperCase())}`;
    }
  }
}

/** The SELECT over `landed` (see ValidationSpec), in the given dialect. */
export function validationSql(spec: ValidationSpec, d: RuleDialect): string {
  const { entity } = spec;
  const placing = placingFields(entity);
  const defaults = { ...(configDefaults(entity.name, spec.config) as Record<string, string>), ...spec.defaults };
  const columns = entity.columns.map((c) => columnSql(entity, c, { ...spec, defaults }, placing, d));
  const q = (prefix: string, c: Column) => ident(`${prefix}_${c.name}`);
  const rules = (crossFieldRules[entity.name] ?? []).filter((r) => r.outcome !== 'keep');

  const texts = columns.map((c) => `${c.text} as ${q('t', c.column)}`);
  // A control character anywhere in the row, found with one search rather than one per field.
  const anyText = columns
    .filter((c) => spec.fields.includes(c.column.name))
    .map((c) => `coalesce(${q('t', c.column)}, '')`);
  const clocks = [
    `${anyText.length > 0 && spec.controls !== false ? d.matches(anyText.join(' || '), controlCharacters) : 'false'} as _controls`,
    ...columns.flatMap((c) => (c.wallClock ? [`${c.wallClock} as ${q('w', c.column)}`] : [])),
    ...columns.flatMap((c) =>
      c.amount ? [`${c.amount.number} as ${q('n', c.column)}`, `${c.amount.marker} as ${q('m', c.column)}`] : [],
    ),
  ];
  const reads = columns.map((c) => `${c.value} as ${q('v', c.column)}`);
  const errors = columns.map((c) => `${c.unreadable} as ${q('e', c.column)}`);
  const refusals = columns.map(
    (c) =>
      `case when ${q('e', c.column)} is null and ${q('v', c.column)} is not null then ${c.refused} end as ${q('s', c.column)}`,
  );
  // The value kept: as read, else the default (a measure: null) when set aside, else the default.
  const kept = columns.map(({ column, fallback }) => {
    const setAside = `${q('e', column)} is not null or ${q('s', column)} is not null`;
    return `case when ${setAside} then ${measureKinds.has(column.kind) ? `cast(null as ${column.sqlType})` : fallback} else coalesce(${column.kind === 'money' ? `cast(${q('v', column)} as decimal(18,2))` : column.kind === 'integer' ? `cast(${q('v', column)} as bigint)` : q('v', column)}, ${fallback}) end as ${q('k', column)}`;
  });

  // Why a row is rejected: the reader's reason, then a placing field unreadable, then one the
  // schema refuses or that is missing (in column order), then the rules that reject.
  const placingColumns = columns.filter((c) => c.placing);
  const reasonWhen: string[] = ['when _reject is not null then _reject'];
  const fieldWhen: string[] = ['when _reject is not null then cast(null as varchar)'];
  const messageWhen: string[] = ['when _reject is not null then _message'];
  for (const c of placingColumns) {
    reasonWhen.push(
      `when ${q('e', c.column)} is not null then case ${q('e', c.column)} when 'dst_gap' then 'bad_timestamp' else ${q('e', c.column)} end`,
    );
    fieldWhen.push(`when ${q('e', c.column)} is not null then ${sqlString(c.column.name)}`);
    messageWhen.push(`when ${q('e', c.column)} is not null then ${sqlString(`${c.column.name}: `)} || ${c.message}`);
  }
  for (const c of placingColumns) {
    reasonWhen.push(
      `when ${q('t', c.column)} is null and ${q('k', c.column)} is null then 'missing_required' when ${q('s', c.column)} is not null then ${q('s', c.column)}`,
    );
    fieldWhen.push(
      `when (${q('t', c.column)} is null and ${q('k', c.column)} is null) or ${q('s', c.column)} is not null then ${sqlString(c.column.name)}`,
    );
    messageWhen.push(
      `when (${q('t', c.column)} is null and ${q('k', c.column)} is null) or ${q('s', c.column)} is not null then ${sqlString(`${c.column.name}: `)} || ${c.message}`,
    );
  }
  const k = (field: string) => ident(`k_${field}`);
  for (const rule of rules.filter((r) => r.outcome === 'reject')) {
    const test = ruleTest(rule, k, spec.config);
    if (!test) continue;
    const failed = `${k(rule.field)} is not null and coalesce(${test}, false)`;
    reasonWhen.push(`when ${failed} then ${sqlString(rule.reason)}`);
    fieldWhen.push(`when ${failed} then ${sqlString(rule.field)}`);
    messageWhen.push(
      `when ${failed} then ${sqlString(`${rule.field}: ${rule.why} (`)} || cast(${k(rule.field)} as varchar) || ')'`,
    );
  }

  // Field issues: a bad value set aside, or a rule that drops the field; one reason per field.
  const dropped = new Map<string, string[]>();
  for (const rule of rules.filter((r) => r.outcome === 'fieldIssue')) {
    const test = ruleTest(rule, k, spec.config);
    if (test)
      (dropped.get(rule.field) ?? dropped.set(rule.field, []).get(rule.field)!).push(
        `when ${k(rule.field)} is not null and coalesce(${test}, false) then ${sqlString(rule.reason)}`,
      );
  }
  const issueOf = (c: Column) => {
    const read = `case when ${q('e', c)} = 'dst_gap' then 'bad_timestamp' else coalesce(${q('e', c)}, ${q('s', c)}) end`;
    const rule = dropped.get(c.name);
    return rule ? `coalesce(${read}, case ${rule.join(' ')} end)` : read;
  };
  const located = `_file || ' line ' || cast(_line as varchar) || ' (row ' || cast(_row as varchar) || '): '`;
  const finalColumns = entity.columns.map((c) => {
    const rule = dropped.get(c.name);
    const value = rule
      ? `case when (case ${rule.join(' ')} end) is not null then null else ${k(c.name)} end`
      : k(c.name);
    return `cast(${value} as ${c.sqlType}) as ${ident(c.name)}`;
  });
  const indent = (items: string[]) => items.map((i) => `        ${i}`).join(',\n');
  // One CTE per step, each adding its columns to the row: the steps read the columns before them.
  const step = (name: string, items: string[], from: string) => [
    `${name} as (`,
    `    select *,\n${indent(items)}`,
    `    from ${from}`,
    '),',
  ];
  return [
    `-- validate ${entity.name}: the bad-input rules (docs/design.md), generated from the zod schema and the source's mapping.`,
    'with texts as (',
    `    select _file, _row, _line, _reject, _message,\n${indent(texts)}`,
    '    from landed',
    '),',
    ...step('clocks', clocks, 'texts'),
    ...step('reads', reads, 'clocks'),
    ...step('errors', errors, 'reads'),
    ...step('refusals', refusals, 'errors'),
    ...step('kept', kept, 'refusals'),
    'decided as (',
    '    select *,',
    `        case ${reasonWhen.join(' ')} end as _reason,`,
    `        case ${fieldWhen.join(' ')} end as _field`,
    '    from kept',
    ')',
    'select',
    '    _file, _row, _line, _reason, _field,',
    `    case when _reason is null then null when _reject is not null then _message else ${located} || case ${messageWhen.slice(1).join(' ')} end end as _message,`,
    `${indent([...finalColumns, ...entity.columns.map((c) => `${issueOf(c)} as ${ident(`_issue_${c.name}`)}`)])}`,
    'from decided',
  ].join('\n');
}
