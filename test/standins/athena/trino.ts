import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  DATE,
  DOUBLE,
  DuckDBScalarFunction,
  TIMESTAMP,
  TIMESTAMPTZ,
  VARCHAR,
  dateValue,
  timestampTZValue,
  timestampValue,
  type DuckDBConnection,
  type DuckDBType,
} from '@duckdb/node-api';
import { DateTime } from 'luxon';

/**
 * Athena engine v3 runs Trino SQL; the stand-in runs it on DuckDB. Where the two differ for the
 * functions Pulse sends, the statement is rewritten to a function keeping Trino's semantics
 * (a macro or a JavaScript scalar function below), each citing the Trino page it follows:
 * https://trino.io/docs/current/functions.html. What is common syntax passes unchanged.
 */
export interface Token {
  kind: 'ws' | 'comment' | 'string' | 'quoted' | 'backtick' | 'word' | 'number' | 'punct';
  text: string;
}

/** One alternative per Token kind, in `kinds`' order. */
const tokenPattern = new RegExp(
  [
    /(\s+)/,
    /(--[^\n]*|\/\*[\s\S]*?\*\/)/,
    /('(?:[^']|'')*')/,
    /("(?:[^"]|"")*")/,
    /(`(?:[^`]|``)*`)/,
    /([a-z_][a-z0-9_$]*)/,
    /(\d+(?:\.\d*)?(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?)/,
    /(<>|<=|>=|!=|\|\||::|=>|->|.)/,
  ]
    .map((r) => r.source)
    .join('|'),
  'giy',
);
const kinds: Token['kind'][] = ['ws', 'comment', 'string', 'quoted', 'backtick', 'word', 'number', 'punct'];

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  tokenPattern.lastIndex = 0;
  let match: RegExpExecArray | null;
  while (tokenPattern.lastIndex < sql.length && (match = tokenPattern.exec(sql))) {
    const group = match.findIndex((g, i) => i > 0 && g !== undefined);
    tokens.push({ kind: kinds[group - 1]!, text: match[0] });
  }
  return tokens;
}

/** The significant tokens (no whitespace, no comments), for reading a statement's shape. */
export const significant = (tokens: Token[]) => tokens.filter((t) => t.kind !== 'ws' && t.kind !== 'comment');

/**
 * Functions spelled the same whose semantics differ, or Trino functions DuckDB lacks, renamed to
 * the stand-in's versions (defined in `trinoFunctions`).
 */
const renamed: Record<string, string> = {
  greatest: 'trino_greatest',
  least: 'trino_least',
  element_at: 'trino_element_at',
  regexp_replace: 'trino_regexp_replace',
  regexp_like: 'regexp_matches',
  is_finite: 'isfinite',
  date_parse: 'trino_date_parse',
  with_timezone: 'trino_with_timezone',
  from_iso8601_timestamp: 'trino_from_iso8601_timestamp',
  sequence: 'trino_sequence',
};

/** Index of the parenthesis closing the one at `open`. */
function closing(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i]!.text === '(') depth++;
    else if (tokens[i]!.text === ')' && --depth === 0) return i;
  }
  throw new Error('unbalanced parentheses');
}

const nextSignificant = (tokens: Token[], i: number) => {
  let j = i + 1;
  while (j < tokens.length && (tokens[j]!.kind === 'ws' || tokens[j]!.kind === 'comment')) j++;
  return j;
};
const previousSignificant = (tokens: Token[], i: number) => {
  let j = i - 1;
  while (j >= 0 && (tokens[j]!.kind === 'ws' || tokens[j]!.kind === 'comment')) j--;
  return j;
};

/** A Trino type name as DuckDB spells it. */
function duckTypeOf(trinoType: string): string {
  const t = trinoType.trim().toLowerCase().replace(/\s+/g, ' ');
  const array = /^array\s*\((.+)\)$/.exec(t);
  if (array) return `${duckTypeOf(array[1]!)}[]`;
  if (/^timestamp\s*\(\d+\)$/.test(t)) return 'timestamp';
  if (/^timestamp\s*\(\d+\) with time zone$/.test(t)) return 'timestamp with time zone';
  if (t === 'real') return 'float';
  return t;
}

function rewrite(tokens: Token[], from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i++) {
    const token = tokens[i]!;
    if (token.kind !== 'word') {
      out += token.text;
      continue;
    }
    const open = nextSignificant(tokens, i);
    const isCall = tokens[open]?.text === '(' && tokens[previousSignificant(tokens, i)]?.text !== '.';
    const name = token.text.toLowerCase();
    if (isCall && (name === 'cast' || name === 'try_cast')) {
      const close = closing(tokens, open);
      let depth = 0;
      let as = -1;
      for (let j = open + 1; j < close; j++) {
        const t = tokens[j]!.text;
        if (t === '(') depth++;
        else if (t === ')') depth--;
        else if (depth === 0 && tokens[j]!.kind === 'word' && t.toLowerCase() === 'as') as = j;
      }
      if (as < 0) throw new Error(`line 1:1: mismatched input in ${name}: expecting AS`);
      const expr = rewrite(tokens, open + 1, as);
      const type = tokens
        .slice(as + 1, close)
        .map((t) => t.text)
        .join('')
        .trim();
      const duck = duckTypeOf(type);
      const prefix = `trino_${name === 'try_cast' ? 'try_' : ''}to_`;
      // https://trino.io/docs/current/functions/conversion.html: varchar → double as Java's Double.parseDouble.
      if (duck === 'double' || duck === 'float') {
        out += duck === 'float' ? `cast(${prefix}double(${expr}) as float)` : `${prefix}double(${expr})`;
      } else if (duck === 'timestamp' || duck === 'date') {
        out += `${prefix}${duck}(${expr})`;
      } else {
        out += `${name}(${expr} as ${duck})`;
      }
      i = close;
      continue;
    }
    out += isCall && renamed[name] ? renamed[name] : token.text;
  }
  return out;
}

/**
 * DuckDB functions Trino does not have, which DuckDB would run here and Athena refuses
 * ("Function '…' not registered"): Trino's list is https://trino.io/docs/current/functions/list.html.
 * The stand-in's own helpers (trino_*, java_*) are refused too, so a statement cannot lean on them.
 */
const duckdbOnlyFunctions = new Set([
  'regexp_matches',
  'regexp_full_match',
  'strftime',
  'strptime',
  'try_strptime',
  'epoch',
  'epoch_ms',
  'epoch_us',
  'isodow',
  'dayofmonth',
  'dayofweek',
  'dayofyear',
  'list_value',
  'list_contains',
  'list_extract',
  'list_element',
  'list_aggregate',
  'array_length',
  'len',
  'string_split',
  'generate_series',
  'range',
  'median',
  'quantile',
  'quantile_cont',
  'quantile_disc',
  'approx_quantile',
  'string_agg',
  'group_concat',
  'arg_max',
  'arg_min',
  'first',
  'last',
  'datediff',
  'datepart',
  'date_part',
  'today',
  'struct_pack',
  'read_parquet',
  'read_csv',
  'read_csv_auto',
  'read_json',
  'read_json_auto',
  'glob',
  'error',
  'printf',
  'timezone',
  'isfinite',
  'ifnull',
  'list',
  'make_date',
]);

/**
 * Trino's types (https://trino.io/docs/current/language/types.html): a cast to a DuckDB-only
 * name (string, text, int64, hugeint, float, timestamptz) fails there with "Unknown type".
 */
const trinoTypes = new Set([
  'boolean',
  'tinyint',
  'smallint',
  'integer',
  'int',
  'bigint',
  'real',
  'double',
  'decimal',
  'varchar',
  'char',
  'varbinary',
  'json',
  'date',
  'time',
  'timestamp',
  'interval',
  'array',
  'map',
  'row',
  'uuid',
  'ipaddress',
]);

/** Where the token at `index` starts, as Trino reports it: line:column, both from 1. */
function position(tokens: Token[], index: number): string {
  const before = tokens
    .slice(0, index)
    .map((t) => t.text)
    .join('');
  const lines = before.split('\n');
  return `${lines.length}:${lines.at(-1)!.length + 1}`;
}

/**
 * What Trino would refuse that DuckDB runs: a function it does not register, a type it does not
 * know. Returns Athena's error text, or undefined.
 */
export function trinoRefusal(sql: string): string | undefined {
  const tokens = tokenize(sql);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind !== 'word') continue;
    const name = token.text.toLowerCase();
    const open = nextSignificant(tokens, i);
    if (tokens[open]?.text === '(' && tokens[previousSignificant(tokens, i)]?.text !== '.') {
      if (duckdbOnlyFunctions.has(name) || name.startsWith('trino_') || name.startsWith('java_')) {
        return `FUNCTION_NOT_FOUND: line ${position(tokens, i)}: Function '${name}' not registered`;
      }
    }
    if (name === 'as' && isCastType(tokens, i)) {
      const type = tokens[nextSignificant(tokens, i)]!;
      if (type.kind === 'word' && !trinoTypes.has(type.text.toLowerCase())) {
        const at = position(tokens, nextSignificant(tokens, i));
        return `TYPE_NOT_FOUND: line ${at}: Unknown type: ${type.text.toLowerCase()}`;
      }
    }
  }
  return undefined;
}

/** Whether the AS at `index` is the one of a CAST or TRY_CAST (its parenthesis opened by one). */
function isCastType(tokens: Token[], index: number): boolean {
  let depth = 0;
  for (let j = index - 1; j >= 0; j--) {
    const t = tokens[j]!.text;
    if (t === ')') depth++;
    else if (t === '(') {
      if (depth === 0) {
        const fn = tokens[previousSignificant(tokens, j)];
        return fn?.kind === 'word' && ['cast', 'try_cast'].includes(fn.text.toLowerCase());
      }
      depth--;
    }
  }
  return false;
}

/** A Trino statement (or expression) as DuckDB runs it with `trinoFunctions` installed. */
export function toDuckDb(sql: string): string {
  const tokens = tokenize(sql);
  return rewrite(tokens, 0, tokens.length);
}

// ---------------------------------------------------------------------------------------------
// Java's Double.parseDouble, which Trino's varchar → double cast follows.
// https://docs.oracle.com/en/java/javase/21/docs/api/java.base/java/lang/Double.html#valueOf(java.lang.String)
// Leading and trailing characters <= U+0020 are trimmed; an optional sign; NaN, Infinity, a decimal
// numeral with an optional exponent, or a hexadecimal one with a binary exponent (0x1p3); an
// optional type suffix f, F, d or D. Anything else (1_000, 1,5, '') is not a number.

const decimal = /^[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)$/;
const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)[fFdD]?$/;

export function javaParseDouble(text: string): number | undefined {
  // eslint-disable-next-line no-control-regex
  const s = text.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, '');
  if (decimal.test(s)) {
    const body = s.replace(/[fFdD]$/, '');
    if (/NaN$/.test(body)) return NaN;
    if (/Infinity$/.test(body)) return body.startsWith('-') ? -Infinity : Infinity;
    return Number(body);
  }
  const h = hex.exec(s);
  if (h && (h[2] || h[3])) {
    const digits = `${h[2] ?? ''}${h[3] ?? ''}`;
    let mantissa = 0;
    for (const d of digits) mantissa = mantissa * 16 + parseInt(d, 16);
    const value = mantissa * 2 ** (Number(h[4]) - 4 * (h[3]?.length ?? 0));
    return h[1] === '-' ? -value : value;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Trino's date_parse: MySQL-style specifiers, read as Joda-Time reads them (DateTimeFunctions
// in Trino). https://trino.io/docs/current/functions/datetime.html#mysql-date-functions
// Numbers take 1 up to their width in digits (%c and %m alike); %y is exactly two digits in the
// window 1970–2069 (Joda's appendTwoDigitYear with Trino's pivot year 2020); %Y up to four;
// literals match ignoring case; the whole text must be read. The result is a timestamp(3).

type Field =
  'year' | 'year2' | 'month' | 'day' | 'hour' | 'clock' | 'minute' | 'second' | 'fraction' | 'ampm' | 'monthName';
type Piece = { literal: string } | { field: Field; max: number };

const specifiers: Record<string, Piece | Piece[]> = {
  Y: { field: 'year', max: 4 },
  y: { field: 'year2', max: 2 },
  m: { field: 'month', max: 2 },
  c: { field: 'month', max: 2 },
  d: { field: 'day', max: 2 },
  e: { field: 'day', max: 2 },
  H: { field: 'hour', max: 2 },
  k: { field: 'hour', max: 2 },
  h: { field: 'clock', max: 2 },
  I: { field: 'clock', max: 2 },
  l: { field: 'clock', max: 2 },
  i: { field: 'minute', max: 2 },
  s: { field: 'second', max: 2 },
  S: { field: 'second', max: 2 },
  f: { field: 'fraction', max: 9 },
  p: { field: 'ampm', max: 2 },
  M: { field: 'monthName', max: 9 },
  T: [
    { field: 'hour', max: 2 },
    { literal: ':' },
    { field: 'minute', max: 2 },
    { literal: ':' },
    { field: 'second', max: 2 },
  ],
};

const months = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

function datePattern(format: string): Piece[] {
  const pieces: Piece[] = [];
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%' || i === format.length - 1) {
      pieces.push({ literal: c });
      continue;
    }
    const spec = format[++i]!;
    if ('wUuVXDjvxWar'.includes(spec) && !specifiers[spec])
      throw new Error(`%${spec} not supported in date format string`);
    const piece = specifiers[spec];
    if (piece) pieces.push(...(Array.isArray(piece) ? piece : [piece]));
    else pieces.push({ literal: spec });
  }
  return pieces;
}

/** Milliseconds since the epoch of the wall clock the text names, or an error naming where it stopped. */
export function trinoDateParse(text: string, format: string): number {
  const fail = (at: number) => new Error(`Invalid format: "${text}" is malformed at "${text.slice(at)}"`);
  const v: Partial<Record<Field, number>> = {};
  let at = 0;
  for (const piece of datePattern(format)) {
    if ('literal' in piece) {
      if (text.slice(at, at + piece.literal.length).toLowerCase() !== piece.literal.toLowerCase()) throw fail(at);
      at += piece.literal.length;
      continue;
    }
    if (piece.field === 'ampm') {
      const word = text.slice(at, at + 2).toLowerCase();
      if (word !== 'am' && word !== 'pm') throw fail(at);
      v.ampm = word === 'pm' ? 1 : 0;
      at += 2;
      continue;
    }
    if (piece.field === 'monthName') {
      const rest = text.slice(at).toLowerCase();
      const index = months.findIndex((m) => rest.startsWith(m) || rest.startsWith(m.slice(0, 3)));
      if (index < 0) throw fail(at);
      at += rest.startsWith(months[index]!) ? months[index]!.length : 3;
      v.month = index + 1;
      continue;
    }
    const signed = piece.field === 'year' && /[+-]/.test(text[at] ?? '') ? 1 : 0;
    const digits = /^\d+/.exec(text.slice(at + signed, at + signed + piece.max))?.[0] ?? '';
    if (!digits || (piece.field === 'year2' && digits.length !== 2)) throw fail(at);
    if (piece.field === 'fraction') v.fraction = Math.floor(Number(`0.${digits}`) * 1000);
    else if (piece.field === 'year2') {
      const two = Number(digits);
      v.year = two + (two < 70 ? 2000 : 1900);
    } else v[piece.field] = Number(text.slice(at, at + signed + digits.length));
    at += signed + digits.length;
  }
  if (at !== text.length) throw fail(at);
  let hour = v.hour ?? 0;
  if (v.clock !== undefined) {
    if (v.clock < 1 || v.clock > 12)
      throw new Error(`Cannot parse "${text}": Value ${v.clock} for clockhourOfHalfday must be in the range [1,12]`);
    hour = (v.clock % 12) + 12 * (v.ampm ?? 0);
  } else if (v.ampm !== undefined) hour = (hour % 12) + 12 * v.ampm;
  const parts = {
    year: v.year ?? 1970,
    month: v.month ?? 1,
    day: v.day ?? 1,
    hour,
    minute: v.minute ?? 0,
    second: v.second ?? 0,
    millisecond: v.fraction ?? 0,
  };
  const date = DateTime.fromObject(parts, { zone: 'UTC' });
  if (!date.isValid) throw new Error(`Cannot parse "${text}": ${date.invalidExplanation ?? 'no such date'}`);
  return date.toMillis();
}

/**
 * Trino's varchar → timestamp(3) and varchar → date casts (DateTimes.parseTimestamp): year-month-day
 * with one or two digits each, then optionally a space and hour:minute[:second[.fraction]], the
 * fraction rounded to milliseconds; no T, no zone, nothing else. DuckDB reads more (an offset, a T,
 * a lone hour) and keeps microseconds. https://trino.io/docs/current/language/types.html#timestamp
 */
const timestampText = /^([+-]?\d{4,})-(\d{1,2})-(\d{1,2})(?: (\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d+))?)?)?$/;
const dateText = /^\s*([+-]?\d{4,})-(\d{1,2})-(\d{1,2})\s*$/;

export function trinoTimestamp(text: string): number | undefined {
  const m = timestampText.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => (v === undefined ? 0 : Number(v)));
  const fraction = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  const date = DateTime.fromObject({ year, month, day, hour, minute, second }, { zone: 'UTC' });
  return date.isValid ? date.toMillis() + fraction : undefined;
}

export function trinoDate(text: string): number | undefined {
  const m = dateText.exec(text);
  if (!m) return undefined;
  const date = DateTime.fromObject({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) }, { zone: 'UTC' });
  return date.isValid ? date.toMillis() : undefined;
}

/** Trino's from_iso8601_timestamp: an ISO 8601 instant; without an offset, in the session zone (UTC in Athena). */
export function fromIso8601(text: string): number {
  const parsed = DateTime.fromISO(text, { zone: 'UTC', setZone: true });
  if (!parsed.isValid) throw new Error(`Invalid format: "${text}" is malformed`);
  return parsed.toMillis();
}

// ---------------------------------------------------------------------------------------------

function scalar(
  name: string,
  parameterTypes: DuckDBType[],
  returnType: DuckDBType,
  compute: (...args: string[]) => unknown,
) {
  return DuckDBScalarFunction.create({
    name,
    parameterTypes,
    returnType,
    mainFunction: (_info, input, output) => {
      const columns = parameterTypes.map((_, i) => input.getColumnVector(i));
      for (let row = 0; row < input.rowCount; row++) {
        const args = columns.map((c) => c.getItem(row));
        // NULL in, NULL out, as every Trino function here.
        output.setItem(row, (args.some((a) => a === null) ? null : compute(...args.map(String))) as never);
      }
      output.flush();
    },
  });
}

const micros = (ms: number) => BigInt(ms) * 1000n;

/** The parameter of once()'s lambda: a name no column of the lake has, so the macro's other arguments cannot be captured by it. */
const param = 'trino_arg__';

/**
 * A macro body that reads its argument `arg` once, as `param`. DuckDB expands a macro by copying
 * each argument into the body wherever it is named, so a body naming its argument three times
 * triples it, and nested casts (cast(cast(at_timezone(with_timezone(…))))) multiply: the curate
 * statement of a six-column CSV took the binder 8–10 s to expand on one row. A one-element list
 * mapped by a lambda binds the argument once and gives the same value, type and errors.
 */
const once = (arg: string, body: string) => `list_transform([${arg}], lambda ${param}: ${body})[1]`;

/** Macros and functions that give DuckDB Trino's semantics where they differ; see `renamed`. */
export async function installTrinoFunctions(connection: DuckDBConnection): Promise<void> {
  // Trino's integer division truncates: 7 / 2 = 3 (https://trino.io/docs/current/functions/math.html).
  await connection.run('set integer_division = true');
  // The macros the local engine uses for Trino's at_timezone, to_unixtime, day_of_week, day_of_month.
  await connection.run(
    readFileSync(path.resolve(import.meta.dirname, '../../../sql/dialect/duckdb_shims.sql'), 'utf8'),
  );
  // greatest/least: NULL if any argument is NULL (https://trino.io/docs/current/functions/comparison.html);
  // DuckDB's skip NULLs.
  for (const fn of ['greatest', 'least']) {
    const overloads = [2, 3, 4, 5, 6].map((n) => {
      const args = Array.from({ length: n }, (_, i) => `a${i}`);
      const anyNull = args.map((a) => `${a} is null`).join(' or ');
      return `(${args.join(', ')}) as case when ${anyNull} then null else ${fn}(${args.join(', ')}) end`;
    });
    await connection.run(`create or replace macro trino_${fn}${overloads.join(', ')}`);
  }
  // element_at(array, i): NULL past the end (https://trino.io/docs/current/functions/array.html).
  await connection.run('create or replace macro trino_element_at(a, i) as a[i]');
  // regexp_replace replaces every match, $n names a group (https://trino.io/docs/current/functions/regexp.html).
  await connection.run(
    "create or replace macro trino_regexp_replace(s, p) as regexp_replace(s, p, '', 'g'), " +
      "(s, p, r) as regexp_replace(s, p, regexp_replace(r, '\\$(\\d)', '\\\\\\1', 'g'), 'g')",
  );
  // sequence(a, b): at most 10,000 entries (https://trino.io/docs/current/functions/array.html).
  await connection.run(
    'create or replace macro trino_sequence(a, b) as case when abs(b - a) >= 10000 ' +
      "then error('Result of sequence function must not have more than 10000 entries') else generate_series(a, b) end",
  );
  // with_timezone at a repeated (DST fold) hour takes the earlier offset, as java.time does; DuckDB's
  // ICU takes the later one. https://trino.io/docs/current/functions/datetime.html#with_timezone
  await connection.run(
    `create or replace macro trino_with_timezone(ts, zone) as ${once(
      'cast(ts as timestamp)',
      `case when timezone(zone, timezone(zone, ${param}) - interval 1 hour) = ${param}
       then timezone(zone, ${param}) - interval 1 hour
       else timezone(zone, ${param}) end`,
    )}`,
  );
  connection.registerScalarFunction(
    scalar('java_parse_double', [VARCHAR], DOUBLE, (s) => {
      const n = javaParseDouble(s);
      if (n === undefined) throw new Error(`Cannot cast '${s}' to DOUBLE`);
      return n;
    }),
  );
  connection.registerScalarFunction(
    scalar('java_try_parse_double', [VARCHAR], DOUBLE, (s) => javaParseDouble(s) ?? null),
  );
  await connection.run(
    `create or replace macro trino_to_double(x) as ${once(
      'x',
      `case when typeof(${param}) = 'VARCHAR' then java_parse_double(cast(${param} as varchar)) else cast(${param} as double) end`,
    )}`,
  );
  await connection.run(
    `create or replace macro trino_try_to_double(x) as ${once(
      'x',
      `case when typeof(${param}) = 'VARCHAR' then java_try_parse_double(cast(${param} as varchar)) else try_cast(${param} as double) end`,
    )}`,
  );
  connection.registerScalarFunction(
    scalar('trino_parse_timestamp', [VARCHAR], TIMESTAMP, (s) => {
      const ms = trinoTimestamp(s);
      if (ms === undefined) throw new Error(`Value cannot be cast to timestamp: ${s}`);
      return timestampValue(micros(ms));
    }),
  );
  connection.registerScalarFunction(
    scalar('trino_try_parse_timestamp', [VARCHAR], TIMESTAMP, (s) => {
      const ms = trinoTimestamp(s);
      return ms === undefined ? null : timestampValue(micros(ms));
    }),
  );
  connection.registerScalarFunction(
    scalar('trino_parse_date', [VARCHAR], DATE, (s) => {
      const ms = trinoDate(s);
      if (ms === undefined) throw new Error(`Value cannot be cast to date: ${s}`);
      return dateValue(ms / 86_400_000);
    }),
  );
  connection.registerScalarFunction(
    scalar('trino_try_parse_date', [VARCHAR], DATE, (s) => {
      const ms = trinoDate(s);
      return ms === undefined ? null : dateValue(ms / 86_400_000);
    }),
  );
  for (const type of ['timestamp', 'date']) {
    await connection.run(
      `create or replace macro trino_to_${type}(x) as ${once(
        'x',
        `case when typeof(${param}) = 'VARCHAR' then trino_parse_${type}(cast(${param} as varchar)) else cast(${param} as ${type}) end`,
      )}`,
    );
    await connection.run(
      `create or replace macro trino_try_to_${type}(x) as ${once(
        'x',
        `case when typeof(${param}) = 'VARCHAR' then trino_try_parse_${type}(cast(${param} as varchar)) else try_cast(${param} as ${type}) end`,
      )}`,
    );
  }
  connection.registerScalarFunction(
    scalar('trino_date_parse', [VARCHAR, VARCHAR], TIMESTAMP, (s, f) => timestampValue(micros(trinoDateParse(s, f)))),
  );
  connection.registerScalarFunction(
    scalar('trino_from_iso8601_timestamp', [VARCHAR], TIMESTAMPTZ, (s) => timestampTZValue(micros(fromIso8601(s)))),
  );
}
