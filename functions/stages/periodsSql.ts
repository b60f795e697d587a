import { DateTime } from 'luxon';
import { sqlString } from '../dialect/sqlText.ts';
import type { PeriodInfo } from '../kpis/types.ts';

/**
 * The periods a KPI query measures, as relations its SQL joins: `{{report_periods}}`, one row per
 * period, and `{{report_period_months}}`, one row per month of each. A query written over them
 * returns a `period` column and groups by it, so kpi_monthly measures every month it lacks in one
 * statement (each month a period) and evaluate one period (a month, a quarter, a range, a month to
 * date) with the same text (docs/design.md, "One pass where one pass will do").
 */
export interface PeriodRelations {
  report_periods: { raw: string };
  report_period_months: { raw: string };
}

/**
 * `{{report_periods}}`'s columns: the period's id; its first and last month and the month before
 * it (YYYY-MM); its bounds as UTC timestamps (start inclusive, end exclusive, from the local days
 * in the time zone); its first and last local day and the day before it (dates).
 */
export const reportPeriodColumns = [
  'period',
  'first_month',
  'last_month',
  'previous_month',
  'period_start',
  'period_end',
  'period_first_day',
  'period_last_day',
  'day_before_period',
] as const;

/** `{{report_period_months}}`'s columns: the period's id, one of its months, that month's first and last day. */
export const reportPeriodMonthColumns = ['period', 'month', 'first_day', 'last_day'] as const;

const date = (d: DateTime) => `date '${d.toISODate()}'`;
const timestamp = (d: DateTime) => `timestamp '${d.toFormat('yyyy-MM-dd HH:mm:ss')}'`;

/**
 * A VALUES list with named columns, valid in Trino and DuckDB, to be read as `{{name}} as alias`.
 * Typed literals (date '…', timestamp '…') give each column one type in both engines.
 */
function relation(name: string, columns: readonly string[], rows: string[][]): { raw: string } {
  if (rows.length === 0) throw new Error(`${name}: no period to measure`);
  const values = rows.map((row) => `(${row.join(', ')})`).join(',\n    ');
  return { raw: `(select * from (values\n    ${values}\n) as ${name} (${columns.join(', ')}))` };
}

/** The two relations for some periods (each id once), their bounds taken in the time zone as sqlParams takes them. */
export function periodRelations(timezone: string, periods: readonly PeriodInfo[]): PeriodRelations {
  const rows = periods.map((period) => {
    const firstDay = DateTime.fromISO(period.start, { zone: 'UTC' });
    const lastDay = DateTime.fromISO(period.end, { zone: 'UTC' }).minus({ days: 1 });
    return [
      sqlString(period.id),
      sqlString(period.months[0]!),
      sqlString(period.months[period.months.length - 1]!),
      sqlString(firstDay.minus({ months: 1 }).toFormat('yyyy-MM')),
      timestamp(DateTime.fromISO(period.start, { zone: timezone }).toUTC()),
      timestamp(DateTime.fromISO(period.end, { zone: timezone }).toUTC()),
      date(firstDay),
      date(lastDay),
      date(firstDay.minus({ days: 1 })),
    ];
  });
  const monthRows = periods.flatMap((period) =>
    period.months.map((month) => {
      const first = DateTime.fromISO(`${month}-01`, { zone: 'UTC' });
      return [sqlString(period.id), sqlString(month), date(first), date(first.plus({ months: 1 }).minus({ days: 1 }))];
    }),
  );
  return {
    report_periods: relation('report_periods', reportPeriodColumns, rows),
    report_period_months: relation('report_period_months', reportPeriodMonthColumns, monthRows),
  };
}
