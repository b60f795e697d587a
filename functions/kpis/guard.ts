import { DateTime } from 'luxon';
import type { KpiReport, SourceQuality, StaleSource } from './types.ts';
import { entities } from '../model/index.ts';
import { describeSlice } from '../config/schema.ts';

/**
 * The two reasons a report is not sent as is. A blank period (no tickets created and none
 * solved) is never sent: a "no results" report marked as sent is what users of scheduled
 * reports complain of most. A stale source (its freshest record more than staleAfterDays
 * before the period's end) puts a banner on the report, or withholds it when asked to.
 */

/** Staleness is judged for sources of entities placed in months by a timestamp (docs/design.md). */
const timeBearingEntities = new Set<string>(entities.filter((e) => e.monthOf && !e.monthIsLiteral).map((e) => e.name));

export function staleSources(
  sources: SourceQuality[],
  periodEnd: string,
  timezone: string,
  staleAfterDays: number,
): StaleSource[] {
  const end = DateTime.fromISO(periodEnd, { zone: timezone });
  const limit = end.minus({ days: staleAfterDays });
  return sources
    .filter((s) => timeBearingEntities.has(s.entity))
    .filter((s) => s.freshestRecordAt === null || DateTime.fromISO(s.freshestRecordAt) < limit)
    .map((s) => ({
      source: s.source,
      entity: s.entity,
      freshestRecordAt: s.freshestRecordAt,
      daysBeforePeriodEnd:
        s.freshestRecordAt === null ? null : Math.floor(end.diff(DateTime.fromISO(s.freshestRecordAt), 'days').days),
    }));
}

export function describeStale(s: StaleSource): string {
  return s.freshestRecordAt === null
    ? `${s.source} (${s.entity}) has no records`
    : `${s.source} (${s.entity}) is stale: its freshest record is ${s.freshestRecordAt}, ${s.daysBeforePeriodEnd} days before the period's end`;
}

export interface ReportVerdict {
  /** Why the report must not go to its recipients; empty when it may. */
  withheld: string[];
  /** Lines the report carries at its top. */
  banners: string[];
  /** What the owners are told, or null when there is nothing to tell. */
  alert: { subject: string; lines: string[] } | null;
}

const valueOf = (report: KpiReport, id: string): number => {
  const kpi = report.kpis[id];
  return kpi && kpi.status !== 'not_measured' ? (kpi.value ?? 0) : 0;
};

/** Blank when no ticket was created and none solved in the period (a missing tickets source included). */
export function isBlank(report: KpiReport): boolean {
  return valueOf(report, 'tickets_created') === 0 && valueOf(report, 'tickets_solved') === 0;
}

export function reportVerdict(report: KpiReport, what: string, options: { withholdStale: boolean }): ReportVerdict {
  const period = report.period.label;
  const stale = report.dataQuality.stale ?? [];
  const staleLines = stale.map(describeStale);
  if (isBlank(report)) {
    const ticketSources = report.dataQuality.sources.filter((s) => s.entity === 'tickets');
    const found = ticketSources.length
      ? ticketSources.map(
          (s) =>
            `source ${s.source} (tickets): ${s.rowsRead} rows read, ${s.rowsAccepted} accepted, ${s.rowsRejected} rejected${
              s.rowsRejected
                ? ` (${Object.entries(s.rejectedByReason)
                    .map(([r, n]) => `${r} ${n}`)
                    .join(', ')})`
                : ''
            }; freshest record ${s.freshestRecordAt ?? 'none'}`,
        )
      : ['no source provides tickets'];
    const reason = `${what} for ${period} is withheld: no tickets were created and none solved in ${period}${report.slice ? ` in the slice ${describeSlice(report.slice)}` : ''}`;
    return {
      withheld: [reason],
      banners: [],
      alert: {
        subject: `Reports for ${period} withheld: no data`,
        lines: [
          reason,
          ...found,
          ...staleLines,
          'Check that the export for the period was delivered and that its mapping reads it, then run again.',
        ],
      },
    };
  }
  if (stale.length === 0) return { withheld: [], banners: [], alert: null };
  if (options.withholdStale) {
    const reason = `${what} for ${period} is withheld (definitions.withholdStale): ${staleLines.join('; ')}`;
    return {
      withheld: [reason],
      banners: [],
      alert: {
        subject: `Reports for ${period} withheld: stale data`,
        lines: [reason, 'Refresh the export, or set definitions.withholdStale to false to send it with a banner.'],
      },
    };
  }
  return {
    withheld: [],
    banners: staleLines.map((line) => `Data may be incomplete: ${line}.`),
    alert: {
      subject: `Reports for ${period} sent with stale data`,
      lines: [`${what} for ${period} was sent with a banner:`, ...staleLines],
    },
  };
}
