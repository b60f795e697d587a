import { describe, expect, it } from 'vitest';
import { isBlank, reportVerdict, staleSources } from '../../functions/kpis/guard.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { KpiReport, MeasuredKpi, SourceQuality } from '../../functions/kpis/types.ts';
import { measuredKpi } from '../support/kpis.ts';

const source = (name: string, entity: string, freshestRecordAt: string | null): SourceQuality => ({
  source: name,
  entity,
  rowsRead: 10,
  rowsAccepted: 8,
  rowsRejected: 2,
  rejectedByReason: { bad_timestamp: 2 },
  lastExtractAt: null,
  freshestRecordAt,
});

const count = (id: string, value: number): MeasuredKpi =>
  measuredKpi({ id, unit: 'count', direction: 'neutral', value });

function report(
  created: number,
  solved: number,
  sources: SourceQuality[],
  stale: KpiReport['dataQuality']['stale'] = [],
): KpiReport {
  return {
    period: parsePeriod('2026-10'),
    generatedAt: '2026-11-01T06:00:00Z',
    timezone: 'Europe/Berlin',
    currency: 'USD',
    kpis: { tickets_created: count('tickets_created', created), tickets_solved: count('tickets_solved', solved) },
    forecast: null,
    dataQuality: { sources, stale, excludedFromTimeMetrics: { total: 0, byReason: {} }, duplicatesMerged: 0 },
  };
}

describe('staleness', () => {
  it('judges time-bearing sources against staleAfterDays before the period end, in the business zone', () => {
    // Period end: 2026-11-01 00:00 Europe/Berlin = 2026-10-31T23:00Z; 3 days before: 2026-10-28T23:00Z.
    const sources = [
      source('fresh', 'tickets', '2026-10-28T23:00:00.000Z'), // exactly on the limit: not stale
      source('late', 'tickets', '2026-10-28T22:59:59.000Z'), // a second before: stale
      source('silent', 'surveys', null), // no record at all: stale
      source('ledger', 'costs', '2026-01-01T00:00:00.000Z'), // costs are placed by period, not a timestamp: not judged
      source('people', 'agents', null), // no time column: not judged
    ];
    const stale = staleSources(sources, '2026-11-01', 'Europe/Berlin', 3);
    expect(stale.map((s) => [s.source, s.daysBeforePeriodEnd])).toEqual([
      ['late', 3],
      ['silent', null],
    ]);
  });
});

describe('report verdict', () => {
  it('withholds a blank period and tells the owners what is missing, source by source', () => {
    const verdict = reportVerdict(
      report(0, 0, [source('helpdesk', 'tickets', '2026-08-31T10:00:00.000Z')]),
      'The executive scorecard',
      { withholdStale: false },
    );
    expect(verdict.withheld).toEqual([
      'The executive scorecard for October 2026 is withheld: no tickets were created and none solved in October 2026',
    ]);
    expect(verdict.alert?.subject).toBe('Reports for October 2026 withheld: no data');
    expect(verdict.alert?.lines).toContain(
      'source helpdesk (tickets): 10 rows read, 8 accepted, 2 rejected (bad_timestamp 2); freshest record 2026-08-31T10:00:00.000Z',
    );
  });

  it('is not blank when tickets were only solved, or only created', () => {
    expect(isBlank(report(0, 1, []))).toBe(false);
    expect(isBlank(report(1, 0, []))).toBe(false);
    expect(isBlank(report(0, 0, []))).toBe(true);
  });

  it('puts a banner on a stale report and alerts the owners; withholdStale withholds it instead', () => {
    const stale = [
      { source: 'csat', entity: 'surveys', freshestRecordAt: '2026-10-20T08:00:00.000Z', daysBeforePeriodEnd: 11 },
    ];
    const sent = reportVerdict(report(5, 5, [], stale), 'The finance report', { withholdStale: false });
    expect(sent.withheld).toEqual([]);
    expect(sent.banners).toEqual([
      "Data may be incomplete: csat (surveys) is stale: its freshest record is 2026-10-20T08:00:00.000Z, 11 days before the period's end.",
    ]);
    expect(sent.alert?.subject).toBe('Reports for October 2026 sent with stale data');
    const held = reportVerdict(report(5, 5, [], stale), 'The finance report', { withholdStale: true });
    expect(held.withheld[0]).toMatch(
      /^The finance report for October 2026 is withheld \(definitions\.withholdStale\): csat \(surveys\) is stale/,
    );
    expect(held.banners).toEqual([]);
  });

  it('says nothing when the data is fresh and the period has tickets', () => {
    expect(reportVerdict(report(5, 0, []), 'x', { withholdStale: true })).toEqual({
      withheld: [],
      banners: [],
      alert: null,
    });
  });
});
