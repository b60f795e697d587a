import { DateTime } from 'luxon';
import { UsageError } from '../errors.ts';
import type { PeriodInfo } from './types.ts';

/**
 * Reporting periods in whole months of the business calendar: `2026-10`, `2026-Q3`,
 * `2026-04..2026-09`. Months are labels (`YYYY-MM`); the time zone applies when a record is
 * placed in a month, and when a period ends (periodEnds), so the rest of the arithmetic needs none.
 * A period that has not ended is reported only to date (partialPeriod), and compared like for like.
 */
const monthPattern = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** A month as the CLI and the config write it: YYYY-MM. */
export const isMonth = (text: string): boolean => monthPattern.test(text);

export function monthIndex(month: string): number {
  const m = monthPattern.exec(month);
  if (!m) throw new UsageError(`"${month}" is not a month (YYYY-MM)`);
  return Number(m[1]) * 12 + Number(m[2]) - 1;
}

export function monthFromIndex(index: number): string {
  const year = Math.floor(index / 12);
  return `${String(year).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

export function addMonths(month: string, n: number): string {
  return monthFromIndex(monthIndex(month) + n);
}

export function monthRange(first: string, last: string): string[] {
  const from = monthIndex(first);
  const to = monthIndex(last);
  return Array.from({ length: to - from + 1 }, (_, i) => monthFromIndex(from + i));
}

const monthNames = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function monthLabel(month: string): string {
  const index = monthIndex(month);
  return `${monthNames[index % 12]} ${Math.floor(index / 12)}`;
}

export function periodFromMonths(months: string[], id?: string): PeriodInfo {
  const first = months[0];
  const last = months[months.length - 1];
  if (!first || !last) throw new UsageError('a period needs at least one month');
  const label =
    months.length === 1
      ? monthLabel(first)
      : id && /Q\d$/.test(id)
        ? `${id.slice(-2)} ${id.slice(0, 4)}`
        : `${monthLabel(first)} – ${monthLabel(last)}`;
  return {
    id: id ?? (months.length === 1 ? first : `${first}..${last}`),
    label,
    start: `${first}-01`,
    end: `${addMonths(last, 1)}-01`,
    months,
  };
}

export function parsePeriod(text: string): PeriodInfo {
  const trimmed = text.trim();
  if (monthPattern.test(trimmed)) return periodFromMonths([trimmed]);
  const quarter = /^(\d{4})-Q([1-4])$/.exec(trimmed);
  if (quarter) {
    const first = `${quarter[1]}-${String((Number(quarter[2]) - 1) * 3 + 1).padStart(2, '0')}`;
    return periodFromMonths(monthRange(first, addMonths(first, 2)), trimmed);
  }
  const range = /^(\d{4}-\d{2})\.\.(\d{4}-\d{2})$/.exec(trimmed);
  if (range && monthPattern.test(range[1]!) && monthPattern.test(range[2]!)) {
    if (monthIndex(range[1]!) > monthIndex(range[2]!)) {
      throw new UsageError(`period "${text}": the first month comes after the last`);
    }
    return periodFromMonths(monthRange(range[1]!, range[2]!), trimmed);
  }
  throw new UsageError(`period "${text}" is not YYYY-MM, YYYY-Qn or YYYY-MM..YYYY-MM`);
}

/** The period of the same length just before this one (Q3 → Q2, 2026-10 → 2026-09), to date as this one is. */
export function previousPeriod(period: PeriodInfo): PeriodInfo {
  return likeForLike(period, wholePrevious(wholeOf(period)));
}

function wholePrevious(period: PeriodInfo): PeriodInfo {
  const n = period.months.length;
  const first = addMonths(period.months[0]!, -n);
  const quarter = /^(\d{4})-Q([1-4])$/.exec(period.id);
  const months = monthRange(first, addMonths(first, n - 1));
  if (quarter) {
    const q = Number(quarter[2]);
    const id = q === 1 ? `${Number(quarter[1]) - 1}-Q4` : `${quarter[1]}-Q${q - 1}`;
    return periodFromMonths(months, id);
  }
  return periodFromMonths(months);
}

/** The same months one year earlier, to date as this period is. */
export function lastYearPeriod(period: PeriodInfo): PeriodInfo {
  const whole = wholeOf(period);
  const months = whole.months.map((m) => addMonths(m, -12));
  const quarter = /^(\d{4})-(Q[1-4])$/.exec(whole.id);
  return likeForLike(period, periodFromMonths(months, quarter ? `${Number(quarter[1]) - 1}-${quarter[2]}` : undefined));
}

/** The month after the period, the one the forecast is for. */
export function nextMonth(period: PeriodInfo): string {
  return addMonths(period.months[period.months.length - 1]!, 1);
}

const day = (date: string) => DateTime.fromISO(date, { zone: 'UTC' });

/** A short local date: 6 Dec 2026. */
function shortDate(date: string): string {
  return day(date).setLocale('en-GB').toFormat('d LLL yyyy');
}

/** The days a period covers, short: `1–6 Nov 2026`, `1 Jul – 5 Sep 2026` (a comparison of a period to date). */
export function shortSpan(period: PeriodInfo): string {
  const first = day(period.start).setLocale('en-GB');
  const last = day(period.end).minus({ days: 1 }).setLocale('en-GB');
  if (first.hasSame(last, 'month')) return `${first.day}–${last.toFormat('d LLL yyyy')}`;
  return `${first.toFormat(first.hasSame(last, 'year') ? 'd LLL' : 'd LLL yyyy')} – ${last.toFormat('d LLL yyyy')}`;
}

/** The whole period a partial one is part of (`2026-12-to-2026-12-06` → `2026-12`). */
function wholeOf(period: PeriodInfo): PeriodInfo {
  return period.partial ? parsePeriod(period.id.slice(0, period.id.lastIndexOf('-to-'))) : period;
}

/**
 * `whole` cut to as many days as `period` covers when that is partial: 1–6 December compares
 * with 1–6 November and 1–6 December last year (docs/rules.md, "Status, change and drivers"). A cut that reaches
 * the whole period's end (6 days of a 6-day period) leaves it whole.
 */
function likeForLike(period: PeriodInfo, whole: PeriodInfo): PeriodInfo {
  if (!period.partial) return whole;
  const days = day(period.end).diff(day(period.start), 'days').days;
  return cutTo(
    whole,
    day(whole.start)
      .plus({ days: days - 1 })
      .toISODate()!,
  );
}

/**
 * The part of a period from its start through a local day (inclusive), said so in its label and
 * id; a comparison cut through its last day or later is whole, the period in progress never is.
 */
function cutTo(whole: PeriodInfo, through: string, inProgress = false): PeriodInfo {
  const last = day(whole.end).minus({ days: 1 }).toISODate()!;
  if (through >= last && !inProgress) return whole;
  const span = whole.months.length === 1 ? 'month' : /Q\d$/.test(whole.id) ? 'quarter' : 'period';
  return {
    ...whole,
    id: `${whole.id}-to-${through}`,
    label: `${whole.label}, ${span} to date, through ${shortDate(through)}`,
    end: day(through).plus({ days: 1 }).toISODate()!,
    months: whole.months.filter((m) => `${m}-01` <= through),
    partial: { through },
  };
}

/** When a period starts and ends in the business time zone: local midnights of its first and next days. */
function periodBounds(period: PeriodInfo, zone: string): { start: DateTime; end: DateTime } {
  return {
    start: DateTime.fromISO(period.start, { zone }),
    end: DateTime.fromISO(period.end, { zone }),
  };
}

/** A moment as people in the business zone read it: 1 Jan 2027 00:00 Europe/Berlin. */
function localMoment(at: DateTime, zone: string): string {
  return `${at.setLocale('en-GB').toFormat('d LLL yyyy HH:mm')} ${zone}`;
}

/**
 * The period a run reports on at `now`: a period that has ended, whole; one in progress only
 * when `partial` is asked for, and then from its start through today (local), compared like
 * for like. A period in progress without `partial`, or one not yet begun, is bad usage that
 * names when it ends (docs/rules.md, "Status, change and drivers"): a month mailed before its end says
 * "fell 100%" of what has not happened yet.
 */
export function periodAt(period: PeriodInfo, now: Date, zone: string, partial = false): PeriodInfo {
  const { start, end } = periodBounds(period, zone);
  const at = DateTime.fromJSDate(now, { zone });
  if (at >= end) return period;
  if (at < start)
    throw new UsageError(
      `period ${period.id} (${period.label}) has not begun: it starts ${localMoment(start, zone)} ` +
        `and ends ${localMoment(end, zone)}`,
    );
  if (!partial)
    throw new UsageError(
      `period ${period.id} (${period.label}) has not ended: it ends ${localMoment(end, zone)}. ` +
        `Run it then, or pass --partial for a report to date (through ${shortDate(at.toISODate()!)})`,
    );
  return cutTo(period, at.toISODate()!, true);
}
