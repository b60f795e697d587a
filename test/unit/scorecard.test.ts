import { describe, expect, it } from 'vitest';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { KpiReport, MeasuredKpi } from '../../functions/kpis/types.ts';
import { renderExecutive } from '../../functions/report/executive/index.ts';

/** The executive scorecard escapes what comes from the data and lays out every part. */
const hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>';

function measured(id: string, label: string, value: number, explanation: string | null): MeasuredKpi {
  return {
    id,
    label,
    family: 'volume',
    unit: 'count',
    direction: 'neutral',
    description: '',
    value,
    status: 'warning',
    target: null,
    warning: null,
    critical: null,
    previous: value - 10,
    change: 10,
    changeRatio: 0.1,
    lastYear: null,
    changeLastYear: null,
    stats: {},
    breakdowns: {},
    drivers: [],
    explanation,
    history: [
      { month: '2026-09', value: value - 10 },
      { month: '2026-10', value },
    ],
  };
}

const report: KpiReport = {
  period: parsePeriod('2026-10'),
  generatedAt: '2026-11-01T06:00:00Z',
  timezone: 'Europe/Berlin',
  currency: 'EUR',
  kpis: {
    tickets_created: measured(
      'tickets_created',
      `Tickets ${hostile}`,
      120,
      `Volume rose; team ${hostile} accounts for it`,
    ),
  },
  forecast: null,
  dataQuality: {
    sources: [
      {
        source: `crm ${hostile}`,
        entity: 'tickets',
        rowsRead: 3,
        rowsAccepted: 2,
        rowsRejected: 1,
        rejectedByReason: { bad_timestamp: 1 },
        lastExtractAt: null,
        freshestRecordAt: null,
      },
    ],
    excludedFromTimeMetrics: { total: 0, byReason: {} },
    duplicatesMerged: 0,
  },
};

describe('executive scorecard', () => {
  it('escapes names, labels and sentences from the data', async () => {
    const message = await renderExecutive(report, {});
    expect(message.html).not.toContain('<script>');
    expect(message.html).not.toContain('<img src=x');
    expect(message.html).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;',
    );
    // The label, the explanation and the source name each appear escaped.
    expect(message.html.split('&lt;script&gt;').length - 1).toBeGreaterThanOrEqual(3);
  });

  it('has the table, the explanation, the inline chart and the data-quality footer', async () => {
    const message = await renderExecutive(report, {});
    expect(message.html).toContain('src="cid:chart-tickets_created"');
    expect(message.html).toContain('src="cid:spark-tickets_created"');
    expect(message.images.map((a) => [a.filename, a.cid])).toEqual([
      ['spark-tickets_created.png', 'spark-tickets_created'],
      ['chart-tickets_created.png', 'chart-tickets_created'],
    ]);
    expect(message.images[0]!.png.subarray(1, 4).toString()).toBe('PNG');
    expect(message.text).toContain('Volume rose');
    expect(message.text).toMatch(/tickets: 3 read, 2 accepted, 1 rejected/);
    expect(message.html).toContain('bad_timestamp 1');
  });
});
