import { sqlString } from './sqlText.ts';

/**
 * The few functions the generated validation SQL (validation.ts) needs that DuckDB and Trino
 * (Athena engine v3) spell differently. Everything else in that SQL is common syntax; a test
 * parses the Trino rendering with the Trino grammar and runs the DuckDB one.
 */
export interface RuleDialect {
  readonly name: 'duckdb' | 'trino';
  /** Whether `expr` matches the regular expression anywhere (RE2 / Java syntax, the common subset). */
  matches(expr: string, pattern: string): string;
  /** Every match of `pattern` in `expr` replaced by `replacement`. */
  replaceAll(expr: string, pattern: string, replacement: string): string;
  /** Text with an offset or Z (ISO 8601) as a UTC timestamp, null when unreadable. */
  instantOf(expr: string): string;
  /** Zone-less ISO text (`2026-10-01 08:00[:00[.123]]`, `T` or space, or a date) as a wall-clock timestamp, null when unreadable. */
  wallClockOf(expr: string): string;
  /** Text in one of the strptime-style formats (see `formats`) as a wall-clock timestamp, null when none fits. */
  wallClockIn(expr: string, formats: readonly StrptimeFormat[]): string;
  /**
   * A wall-clock timestamp in `zone` as the UTC timestamp it names; one that happens twice (the
   * hour repeated when DST ends) as its earlier occurrence, in both engines (earlierOccurrence).
   */
  utcOf(wallClock: string, zone: string): string;
  /** A UTC timestamp as the wall clock of `zone`. */
  wallClockAt(utc: string, zone: string): string;
  isFinite(expr: string): string;
  /** Whitespace trimmed at both ends (space, tab, line ends, no-break space, BOM). */
  trim(expr: string): string;
}

/** A date format as fields (from the luxon tokens of a source's `dateFormat`), rendered per engine. */
export type StrptimeFormat = readonly (string | { field: FormatField })[];
type FormatField = 'year' | 'year2' | 'month' | 'day' | 'hour24' | 'hour12' | 'minute' | 'second' | 'millis' | 'ampm';

const whitespace = ["' '", 'chr(9)', 'chr(10)', 'chr(13)', 'chr(160)', 'chr(65279)'].join(' || ');

const duckdbFields: Record<FormatField, string> = {
  year: '%Y',
  year2: '%y',
  month: '%m',
  day: '%d',
  hour24: '%H',
  hour12: '%I',
  minute: '%M',
  second: '%S',
  millis: '%g',
  ampm: '%p',
};
const trinoFields: Record<FormatField, string> = {
  year: '%Y',
  year2: '%y',
  month: '%c',
  day: '%e',
  hour24: '%k',
  hour12: '%l',
  minute: '%i',
  second: '%s',
  millis: '%f',
  ampm: '%p',
};

function render(format: StrptimeFormat, fields: Record<FormatField, string>): string {
  return format.map((part) => (typeof part === 'string' ? part.replace(/%/g, '%%') : fields[part.field])).join('');
}

/**
 * A wall clock as its earlier occurrence when it happens twice. Given an instant the engine chose
 * for it, the instant an hour before is taken when it shows the same wall clock: then the engine
 * chose the later one. Trino's with_timezone takes the earlier offset at a DST fold
 * (https://trino.io/docs/current/functions/datetime.html#with_timezone; java.time's
 * ZonedDateTime.ofLocal, "the earlier offset",
 * https://docs.oracle.com/javase/8/docs/api/java/time/ZonedDateTime.html), DuckDB's timezone()
 * the later (ICU). Folds are an hour long in every
 * zone but Lord Howe Island (half an hour) and Troll (two hours), which keep the engine's choice.
 */
function earlierOccurrence(engineUtc: string, wallClock: string, wallClockAt: (utc: string) => string): string {
  const hourBefore = `(${engineUtc} - interval '1' hour)`;
  return `case when ${wallClockAt(hourBefore)} = ${wallClock} then ${hourBefore} else ${engineUtc} end`;
}

export const duckdbRules: RuleDialect = {
  name: 'duckdb',
  matches: (expr, pattern) => `regexp_matches(${expr}, ${sqlString(pattern)})`,
  replaceAll: (expr, pattern, replacement) =>
    `regexp_replace(${expr}, ${sqlString(pattern)}, ${sqlString(replacement)}, 'g')`,
  instantOf: (expr) => `timezone('UTC', try_cast(${expr} as timestamptz))`,
  wallClockOf: (expr) => `try_cast(${expr} as timestamp)`,
  wallClockIn: (expr, formats) =>
    `try_strptime(${expr}, [${formats.map((f) => sqlString(render(f, duckdbFields))).join(', ')}])`,
  utcOf: (wallClock, zone) => {
    const engineUtc = `timezone('UTC', timezone(${sqlString(zone)}, ${wallClock}))`;
    return earlierOccurrence(engineUtc, wallClock, (utc) => duckdbRules.wallClockAt(utc, zone));
  },
  wallClockAt: (utc, zone) => `timezone(${sqlString(zone)}, timezone('UTC', ${utc}))`,
  isFinite: (expr) => `isfinite(${expr})`,
  trim: (expr) => `trim(${expr}, ${whitespace})`,
};

export const trinoRules: RuleDialect = {
  name: 'trino',
  matches: (expr, pattern) => `regexp_like(${expr}, ${sqlString(pattern)})`,
  replaceAll: (expr, pattern, replacement) =>
    `regexp_replace(${expr}, ${sqlString(pattern)}, ${sqlString(replacement)})`,
  instantOf: (expr) => `cast(at_timezone(try(from_iso8601_timestamp(replace(${expr}, ' ', 'T'))), 'UTC') as timestamp)`,
  // Trino's cast to timestamp refuses any zone, Z included (DuckDB's ignores Z): in a UTC source,
  // where Z is read as a wall clock, it is dropped first.
  // https://trino.io/docs/current/functions/conversion.html#cast
  wallClockOf: (expr) => `try_cast(replace(regexp_replace(${expr}, '[Zz]$', ''), 'T', ' ') as timestamp)`,
  wallClockIn: (expr, formats) =>
    `coalesce(${formats.map((f) => `try(date_parse(${expr}, ${sqlString(render(f, trinoFields))}))`).join(', ')})`,
  utcOf: (wallClock, zone) => {
    const engineUtc = `cast(at_timezone(with_timezone(${wallClock}, ${sqlString(zone)}), 'UTC') as timestamp)`;
    return earlierOccurrence(engineUtc, wallClock, (utc) => trinoRules.wallClockAt(utc, zone));
  },
  wallClockAt: (utc, zone) => `cast(at_timezone(with_timezone(${utc}, 'UTC'), ${sqlString(zone)}) as timestamp)`,
  isFinite: (expr) => `is_finite(${expr})`,
  trim: (expr) => `trim(${expr}, ${whitespace})`,
};

const luxonTokens: [string, FormatField][] = [
  ['yyyy', 'year'],
  // Two digits, read as 20yy on both engines (validation.ts, inFormats).
  ['yy', 'year2'],
  ['MM', 'month'],
  ['M', 'month'],
  ['dd', 'day'],
  ['d', 'day'],
  ['HH', 'hour24'],
  ['H', 'hour24'],
  ['hh', 'hour12'],
  ['h', 'hour12'],
  ['mm', 'minute'],
  ['m', 'minute'],
  ['ss', 'second'],
  ['s', 'second'],
  ['SSS', 'millis'],
  ['a', 'ampm'],
];

/**
 * A source's `dateFormat` (luxon tokens: `dd.MM.yyyy HH:mm`) as format fields. Letters outside
 * the tokens above are refused (quoted literals, week dates and the like have no strptime form).
 */
export function formatOfLuxon(format: string): StrptimeFormat {
  const parts: (string | { field: FormatField })[] = [];
  let i = 0;
  while (i < format.length) {
    const token = luxonTokens.find(([t]) => format.startsWith(t, i));
    if (token) {
      parts.push({ field: token[1] });
      i += token[0].length;
    } else if (/[a-z]/i.test(format[i]!)) {
      throw new Error(
        `dateFormat "${format}": the token at "${format.slice(i)}" is not supported ` +
          '(use yyyy yy MM M dd d HH H hh h mm ss SSS a)',
      );
    } else {
      parts.push(format[i]!);
      i += 1;
    }
  }
  return parts;
}

/** The US formats read when a source names no dateFormat (M/d/yyyy with an optional time). */
export const usFormats: StrptimeFormat[] = [
  'M/d/yyyy H:mm:ss',
  'M/d/yyyy H:mm',
  'M/d/yyyy h:mm:ss a',
  'M/d/yyyy h:mm a',
  'M/d/yyyy h:mm:ssa',
  'M/d/yyyy h:mma',
  'M/d/yyyy',
].map(formatOfLuxon);
