import { UsageError } from '../errors.ts';
import type { PeriodInfo } from './types.ts';

/**
 * Reporting periods in whole months of the business calendar: `2026-10`, `2026-Q3`,
 * `2026-04..2026-09`. Months are labels (`YYYY-MM`); the time zone applies when a record is
 * placed in a month, so period arithmetic here needs none.
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

/** The period of the same length just before this one (Q3 → Q2, 2026-10 → 2026-09). */
export function previousPeriod(period: PeriodInfo): PeriodInfo {
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

/** The same months one year earlier. */
export function lastYearPeriod(period: PeriodInfo): PeriodInfo {
  const months = period.months.map((m) => addMonths(m, -12));
  const quarter = /^(\d{4})-(Q[1-4])$/.exec(period.id);
  return periodFromMonths(months, quarter ? `${Number(quarter[1]) - 1}-${quarter[2]}` : undefined);
}

/** The month after the period, the one the forecast is for. */
export function nextMonth(period: PeriodInfo): string {
  return addMonths(period.months[period.months.length - 1]!, 1);
}
