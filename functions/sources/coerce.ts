import { DateTime } from 'luxon';
import type { Column } from '../model/index.ts';

/**
 * Turns an export's text cell into the canonical type of its column. A failure carries the
 * reason code that lands in rejects/ and in dataQuality.
 */
export class CellError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const trueWords = new Set(['true', 't', 'yes', 'y', '1']);
const falseWords = new Set(['false', 'f', 'no', 'n', '0']);

const isoWithZone = /(?:Z|[+-]\d{2}:?\d{2})$/i;
const sqlLike = /^\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$/;
const dateOnly = /^\d{4}-\d{2}-\d{2}$/;
const usSlash = /^\d{1,2}\/\d{1,2}\/\d{4}( \d{1,2}:\d{2}(:\d{2})?( ?[AP]M)?)?$/i;

export interface CoerceOptions {
  /** Zone of timestamps that carry none. */
  zone: string;
  /**
   * The source's `dateFormat` (luxon tokens, e.g. `dd.MM.yyyy HH:mm`) for exports in another
   * shape; a date column reads the part before the time. ISO 8601 cells still read.
   */
  dateFormat?: string;
  /** The source's decimal separator: `,` reads `1.234,5` and `1234,5` as 1234.5. */
  decimal?: '.' | ',';
}

/**
 * C0 control characters other than tab and line ends, and DEL: a cell holding one is a binary or
 * mis-decoded export, never text a person typed, so it is reported rather than stored.
 */
function controlCharacter(text: string): number | undefined {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f) return code;
  }
  return undefined;
}

const isoParts = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const utcZones = new Set(['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT', 'Z']);

/**
 * The common shapes (ISO 8601 with an offset, or zone-less in UTC) without luxon: extract is
 * bound by this function. Fields are range-checked because Date.parse accepts 30 February.
 * Returns undefined when the text needs the general parser (another zone, another format).
 */
function parseIsoFast(text: string, zone: string): Date | undefined {
  const m = isoParts.exec(text);
  if (!m) return undefined;
  const offset = m[8];
  if (!offset && !utcZones.has(zone)) return undefined;
  const [year, month, dayOfMonth, hours = '0', minutes = '0', seconds = '0'] = [m[1]!, m[2]!, m[3]!, m[4], m[5], m[6]];
  const y = Number(year);
  const mo = Number(month);
  const d = Number(dayOfMonth);
  const h = Number(hours);
  const mi = Number(minutes);
  const se = Number(seconds);
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth || h > 23 || mi > 59 || se > 59) {
    throw new CellError('bad_timestamp', `"${text}" is not a timestamp`);
  }
  const ms = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  let instant = Date.UTC(y, mo - 1, d, h, mi, se, ms);
  if (offset && offset !== 'Z') {
    const sign = offset[0] === '-' ? -1 : 1;
    const digits = offset.slice(1).replace(':', '');
    instant -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
  return new Date(instant);
}

/** The date part of a luxon format (`dd.MM.yyyy HH:mm` → `dd.MM.yyyy`), for date-only cells. */
function datePartOf(format: string): string {
  return format.split(/[ T]/)[0]!;
}

/**
 * A wall-clock time that never happened in the zone (the hour skipped when DST starts): luxon
 * moves it an hour on, which would silently change the record, so it is a bad timestamp. Read in
 * UTC, which has no gaps, the same text gives the wall clock as written.
 */
function skippedByDst(parsed: DateTime, read: (zone: string) => DateTime): boolean {
  if (utcZones.has(parsed.zoneName ?? 'UTC')) return false;
  const written = read('UTC');
  return written.isValid && (written.hour !== parsed.hour || written.minute !== parsed.minute || written.day !== parsed.day);
}

const dstGap = 'dst gap';

function parseWithFormat(text: string, format: string, zone: string): DateTime {
  for (const candidate of [format, datePartOf(format)]) {
    const parsed = DateTime.fromFormat(text, candidate, { zone });
    if (parsed.isValid) {
      if (skippedByDst(parsed, (z) => DateTime.fromFormat(text, candidate, { zone: z }))) return DateTime.invalid(dstGap);
      return parsed;
    }
  }
  return DateTime.invalid('format not matched');
}

export function parseTimestamp(text: string, options: CoerceOptions): Date {
  const fast = parseIsoFast(text, options.zone);
  if (fast) return fast;
  let parsed: DateTime;
  const formatted = options.dateFormat ? parseWithFormat(text, options.dateFormat, options.zone) : undefined;
  if (formatted?.isValid) {
    parsed = formatted;
  } else if (isoWithZone.test(text) && text.includes('T')) {
    parsed = DateTime.fromISO(text, { setZone: true });
  } else if (sqlLike.test(text) || dateOnly.test(text)) {
    const iso = text.replace(' ', 'T');
    parsed = DateTime.fromISO(iso, { zone: options.zone });
    const written = isoParts.exec(text);
    // The wall clock as written, from the text itself (no second parse on the hot path).
    if (parsed.isValid && written && (Number(written[4] ?? 0) !== parsed.hour || Number(written[5] ?? 0) !== parsed.minute)) parsed = DateTime.invalid(dstGap);
  } else if (formatted) {
    // A source with a dateFormat reads that or ISO 8601, never a guessed US M/d/yyyy.
    parsed = formatted;
  } else if (usSlash.test(text)) {
    const formats = ['M/d/yyyy H:mm:ss', 'M/d/yyyy H:mm', 'M/d/yyyy h:mm:ss a', 'M/d/yyyy h:mm a', 'M/d/yyyy h:mm:ssa', 'M/d/yyyy h:mma', 'M/d/yyyy'];
    parsed = DateTime.invalid('no format matched');
    for (const format of formats) {
      parsed = DateTime.fromFormat(text, format, { zone: options.zone });
      if (parsed.isValid) break;
    }
  } else {
    parsed = DateTime.fromISO(text, { zone: options.zone });
  }
  if (parsed.invalidReason === dstGap) {
    throw new CellError('bad_timestamp', `"${text}" does not exist in ${options.zone} (the hour skipped when daylight saving starts): check the source's timezone`);
  }
  if (!parsed.isValid) throw new CellError('bad_timestamp', `"${text}" is not a timestamp${options.dateFormat ? ` in the format ${options.dateFormat}` : ''}`);
  return parsed.toJSDate();
}

function parseDate(text: string, options: CoerceOptions): string {
  if (options.dateFormat && !dateOnly.test(text)) {
    // A date has no hour to fall in a DST gap: it is read in UTC, as written.
    const parsed = DateTime.fromFormat(text, datePartOf(options.dateFormat), { zone: 'UTC' });
    if (parsed.isValid) return parsed.toISODate() as string;
  }
  if (dateOnly.test(text)) {
    const d = DateTime.fromISO(text, { zone: 'UTC' });
    if (d.isValid) return text;
    throw new CellError('bad_date', `"${text}" is not a date`);
  }
  try {
    // A timestamp given for a date column: its day in the source's zone.
    return DateTime.fromJSDate(parseTimestamp(text, options), { zone: options.zone }).toISODate() as string;
  } catch {
    throw new CellError('bad_date', `"${text}" is not a date`);
  }
}

const commaThousands = /^-?\d{1,3}(,\d{3})+(\.\d+)?$/;
const dotThousands = /^-?\d{1,3}(\.\d{3})+(,\d+)?$/;
const commaDecimal = /^-?\d+(,\d+)?$/;

function parseNumber(text: string, integer: boolean, decimal: '.' | ','): number {
  let cleaned = text;
  if (decimal === ',') {
    if (dotThousands.test(text)) cleaned = text.replace(/\./g, '').replace(',', '.');
    else if (commaDecimal.test(text)) cleaned = text.replace(',', '.');
    // Anything else with a comma (1,234.5) is not a number in this source's notation.
    else if (text.includes(',')) cleaned = 'NaN';
  } else if (commaThousands.test(text)) {
    cleaned = text.replace(/,/g, '');
  }
  const value = Number(cleaned);
  if (cleaned === '' || !Number.isFinite(value)) throw new CellError('bad_number', `"${text}" is not a number`);
  if (integer && !Number.isInteger(value)) throw new CellError('bad_number', `"${text}" is not a whole number`);
  return value;
}

/** Returns undefined for an empty cell: the schema's default or optionality decides. */
export function coerceCell(column: Column, text: string, options: CoerceOptions): unknown {
  const value = text.trim();
  if (value === '') return undefined;
  const control = controlCharacter(value);
  if (control !== undefined) {
    throw new CellError('bad_encoding', `holds a control character (U+${control.toString(16).toUpperCase().padStart(4, '0')}): a binary or mis-decoded export; check the source's encoding`);
  }
  switch (column.kind) {
    case 'timestamp':
      return parseTimestamp(value, options);
    case 'date':
      return parseDate(value, options);
    case 'integer':
      return parseNumber(value, true, options.decimal ?? '.');
    case 'number':
    case 'money':
      return parseNumber(value, false, options.decimal ?? '.');
    case 'boolean': {
      const word = value.toLowerCase();
      if (trueWords.has(word)) return true;
      if (falseWords.has(word)) return false;
      throw new CellError('bad_boolean', `"${text}" is not true/false`);
    }
    case 'enum':
      return value.toLowerCase().replace(/[\s-]+/g, '_');
    default:
      return value;
  }
}
