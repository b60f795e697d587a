import { DateTime, type DurationLikeObject } from 'luxon';
import type { CatalogTable } from './catalog.ts';

/**
 * Partition projection as Athena applies it: the partitions a query may read are computed from
 * the table's projection.* parameters and storage.location.template, never listed. Objects whose
 * key fits no projected partition are not read: a month past the range's end (NOW) or before
 * its start holds rows no query sees.
 * https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html
 * https://docs.aws.amazon.com/athena/latest/ug/partition-projection-setting-up.html
 */
export interface Partitioned {
  /** The partition values a key's place gives, or undefined when the key lies outside every projected partition. */
  partitionOf(key: string): Record<string, string> | undefined;
  /** Injected columns a query must fix with an equality (projection.<col>.type = injected). */
  injected: string[];
}

const units: Record<string, keyof DurationLikeObject> = {
  YEAR: 'years',
  MONTH: 'months',
  WEEK: 'weeks',
  DAY: 'days',
  HOUR: 'hours',
  MINUTE: 'minutes',
  SECOND: 'seconds',
};

/**
 * One end of a date range: a literal in the format (a Java DateTimeFormatter pattern; the ones
 * projections use, yyyy, MM, dd, HH, mm, ss, read the same in luxon), or NOW, NOW-3YEARS, NOW+1MONTH.
 */
function rangeEnd(text: string, format: string, now: DateTime): DateTime | undefined {
  const relative = /^NOW(?:\s*([+-])\s*(\d+)\s*(YEAR|MONTH|WEEK|DAY|HOUR|MINUTE|SECOND)S?)?$/i.exec(text.trim());
  if (relative) {
    if (!relative[1]) return now;
    const amount = Number(relative[2]) * (relative[1] === '-' ? -1 : 1);
    return now.plus({ [units[relative[3]!.toUpperCase()]!]: amount });
  }
  const parsed = DateTime.fromFormat(text.trim(), format, { zone: 'UTC' });
  return parsed.isValid ? parsed : undefined;
}

/** Whether a partition value is one the column's projection produces. */
function projected(table: CatalogTable, column: string, value: string, now: DateTime): boolean {
  const p = table.parameters;
  const type = p[`projection.${column}.type`];
  if (type === 'injected') return true;
  if (type === 'enum') return (p[`projection.${column}.values`] ?? '').split(',').map((v) => v.trim()).includes(value);
  if (type === 'integer') {
    const [low, high] = (p[`projection.${column}.range`] ?? '').split(',').map(Number);
    const n = Number(value);
    return /^-?\d+$/.test(value) && n >= low! && n <= high!;
  }
  if (type === 'date') {
    const format = p[`projection.${column}.format`] ?? 'yyyy-MM-dd';
    const [startText, endText] = (p[`projection.${column}.range`] ?? '').split(',');
    const parsed = DateTime.fromFormat(value, format, { zone: 'UTC' });
    // The value must be spelled exactly as the format prints it (2026-1 is no month of yyyy-MM).
    if (!parsed.isValid || parsed.toFormat(format) !== value) return false;
    const start = rangeEnd(startText ?? '', format, now);
    const end = rangeEnd(endText ?? '', format, now);
    return Boolean(start && end && parsed >= start && parsed <= end);
  }
  return false;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** How the table's keys map to partitions, and which of them are projected. */
export function partitioning(table: CatalogTable, now: () => Date = () => new Date()): Partitioned {
  const keys = table.partitionKeys.map((k) => k.name);
  const p = table.parameters;
  const projectionOn = p['projection.enabled'] === 'true';
  const bucketOf = (uri: string) => /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  const location = bucketOf(table.location)!;
  if (keys.length === 0) {
    return { injected: [], partitionOf: (key) => (key.startsWith(location[2]!) ? {} : undefined) };
  }
  // Without a template, Hive's layout: <location>/<col>=<value>/…
  const template = p['storage.location.template'] ?? `${table.location}${keys.map((k) => `${k}=\${${k}}`).join('/')}/`;
  const parts = bucketOf(template)!;
  const names: string[] = [];
  const pattern = parts[2]!
    .split(/(\$\{[a-z0-9_]+\})/i)
    .map((piece) => {
      const name = /^\$\{([a-z0-9_]+)\}$/i.exec(piece)?.[1];
      if (!name) return escape(piece);
      names.push(name.toLowerCase());
      return '([^/]+)';
    })
    .join('');
  const regex = new RegExp(`^${pattern}`);
  return {
    injected: keys.filter((k) => p[`projection.${k}.type`] === 'injected'),
    partitionOf: (key) => {
      const match = regex.exec(key);
      if (!match) return undefined;
      const values = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)]));
      if (projectionOn && !keys.every((k) => projected(table, k, values[k]!, DateTime.fromJSDate(now(), { zone: 'UTC' })))) return undefined;
      return values;
    },
  };
}
