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
  /** Optional luxon format for a source whose timestamps are in another shape. */
  timestampFormat?: string;
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

export function parseTimestamp(text: string, options: CoerceOptions): Date {
  if (!options.timestampFormat) {
    const fast = parseIsoFast(text, options.zone);
    if (fast) return fast;
  }
  let parsed: DateTime;
  if (options.timestampFormat) {
    parsed = DateTime.fromFormat(text, options.timestampFormat, { zone: options.zone });
  } else if (isoWithZone.test(text) && text.includes('T')) {
    parsed = DateTime.fromISO(text, { setZone: true });
  } else if (sqlLike.test(text) || dateOnly.test(text)) {
    parsed = DateTime.fromISO(text.replace(' ', 'T'), { zone: options.zone });
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
  if (!parsed.isValid) throw new CellError('bad_timestamp', `"${text}" is not a timestamp`);
  return parsed.toJSDate();
}

function parseDate(text: string, options: CoerceOptions): string {
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

function parseNumber(text: string, integer: boolean): number {
  const cleaned = /^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(text) ? text.replace(/,/g, '') : text;
  const value = Number(cleaned);
  if (cleaned === '' || !Number.isFinite(value)) throw new CellError('bad_number', `"${text}" is not a number`);
  if (integer && !Number.isInteger(value)) throw new CellError('bad_number', `"${text}" is not a whole number`);
  return value;
}

/** Returns undefined for an empty cell: the schema's default or optionality decides. */
export function coerceCell(column: Column, text: string, options: CoerceOptions): unknown {
  const value = text.trim();
  if (value === '') return undefined;
  switch (column.kind) {
    case 'timestamp':
      return parseTimestamp(value, options);
    case 'date':
      return parseDate(value, options);
    case 'integer':
      return parseNumber(value, true);
    case 'number':
    case 'money':
      return parseNumber(value, false);
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
