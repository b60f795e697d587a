/**
 * The months Athena sees in a month-partitioned table of the lake (curated/<entity>/, marts/<mart>/),
 * as data in one place: the CDK stack writes it into each Glue table's partition projection and
 * curate refuses rows that would fall outside it (docs/design.md, "Storage layout").
 *
 * Athena computes the partitions from these table properties and looks for no partition outside
 * the range: a row in a month outside it is invisible to every query, and curate, which copies a
 * month's curated rows out through the Glue table before it rewrites the month, would then
 * delete it. The range is `first,NOW+<yearsAhead>YEARS`: a date projection's range may end at a
 * time relative to NOW (`NOW`, `NOW+1MONTH`, `NOW-3YEARS`), and its interval and unit step
 * through it a month at a time. See the Athena User Guide, "Supported types for partition
 * projection", date type (https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html),
 * and "How to use the date type", where Athena ignores the dates before the range's start
 * (https://docs.aws.amazon.com/athena/latest/ug/
 * partition-projection-kinesis-firehose-example-using-the-date-type.html).
 *
 * Behind: 1970-01, the Unix epoch, so a date a system defaulted to zero is still seen (and
 * counted) rather than dropped. Ahead: ten years past the current UTC month, for future cost
 * periods, planned agent time and the new month in zones east of UTC. A query with no month
 * filter enumerates about 800 months; the KPI queries filter on month.
 */
export const monthProjection = {
  column: 'month',
  format: 'yyyy-MM',
  first: '1970-01',
  yearsAhead: 10,
} as const;

/** The projection's range as the Glue table property `projection.month.range` spells it. */
export const monthProjectionRange = `${monthProjection.first},NOW+${monthProjection.yearsAhead}YEARS`;

/** The last month the projection reaches at `now`: NOW+<yearsAhead>YEARS, in UTC as Athena reads NOW. */
export function lastProjectedMonth(now: Date): string {
  const year = String(now.getUTCFullYear() + monthProjection.yearsAhead).padStart(4, '0');
  return `${year}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The months (YYYY-MM) of `months` that Athena would not see at `now`: before the first, or after the last. */
export function monthsOutsideProjection(months: readonly string[], now: Date): string[] {
  const last = lastProjectedMonth(now);
  return months.filter((m) => !/^\d{4}-(0[1-9]|1[0-2])$/.test(m) || m < monthProjection.first || m > last);
}
