import { describe, expect, it } from 'vitest';
import { kpiById } from '../../functions/kpis/catalog.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { KpiReport, MeasuredKpi } from '../../functions/kpis/types.ts';
import { renderAnalyst } from '../../functions/report/analyst/index.ts';
import type { LakeInventory } from '../../functions/report/analyst/model.ts';
import { renderExecutive } from '../../functions/report/executive/index.ts';
import { catalogKpi } from '../support/kpis.ts';

/**
 * The executive and analyst e-mails as a reader sees them: thousands grouped in the config's
 * locale, changes in their unit, months by name, and no arrow, colour or sign on a zero.
 */
function kpi(id: string, value: number, previous: number, lastYear: number | null): MeasuredKpi {
  return catalogKpi(kpiById(id)!, {
    value,
    previous,
    change: value - previous,
    changeRatio: (value - previous) / Math.abs(previous),
    lastYear,
    changeLastYear: lastYear === null ? null : value - lastYear,
  });
}

const report: KpiReport = {
  period: parsePeriod('2026-11'),
  generatedAt: '2026-12-01T06:00:00Z',
  timezone: 'UTC',
  currency: 'USD',
  kpis: {
    // 4,242 against 3,902: +340 = +8.7% of 3,902; against last year 4,242: no change at all.
    tickets_created: {
      ...kpi('tickets_created', 4242, 3902, 4242),
      history: [
        { month: '2026-10', value: 3902 },
        { month: '2026-11', value: 4242 },
      ],
    },
    // NPS 18.2 → 41.7: +23.5 points; a year before 41.74: −0.04 points, which prints as 0.0.
    nps: kpi('nps', 41.7, 18.2, 41.74),
    // CSAT 81.23% against 81.26%: −0.03 pp, printed 0.0 pp; against 79.23%: +2.0 pp.
    csat: kpi('csat', 0.8123, 0.8126, 0.7923),
    // CSAT's own change, 81.23% − 81.53%: a difference of rates, in points.
    csat_change: kpi('csat_change', -0.003, 0.001, null),
  },
  forecast: {
    month: '2026-12',
    method: 'Seasonal-naive weekday mean',
    expectedTickets: 4380,
    byWeekday: [{ weekday: 'Monday', days: 5, expectedPerDay: 1210, low: 1105, high: 1320 }],
    agentHoursNeeded: 1520,
    staffingBasis: 'first-reply target',
  },
  dataQuality: {
    sources: [
      {
        source: 'helpdesk',
        entity: 'tickets',
        rowsRead: 44299,
        rowsAccepted: 44100,
        rowsRejected: 199,
        rejectedByReason: { bad_timestamp: 1199 },
        lastExtractAt: null,
        freshestRecordAt: null,
      },
    ],
    excludedFromTimeMetrics: { total: 1234, byReason: { reply_before_created: 1234 } },
    duplicatesMerged: 2500,
  },
};

/** Every zero with a sign before it, a currency sign or a space between allowed. */
const signedZero = /[+−±-][^\d\s<>()]{0,2}\s?0(?:[.,]0+)?(?![\d.,]*[1-9])(?!\d)/;

/** The HTML of one KPI's row, from its label to the end of its row. */
const rowOf = (html: string, label: string) => html.slice(html.indexOf(`>${label}</div>`)).split('</tr>')[0]!;

describe('executive e-mail formatting', () => {
  it('groups thousands and says each change in its unit (en-US, the default for USD)', async () => {
    const message = await renderExecutive(report, {});
    for (const part of [message.html, message.text]) {
      expect(part).toContain('4,242');
      expect(part).toContain('+8.7% (+340) vs Oct 2026');
      expect(part).toContain('+23.5 points vs Oct 2026');
      expect(part).toContain('+2.0 pp vs Nov 2025');
      expect(part).toContain('Next month: Dec 2026');
      expect(part).toContain('4,380');
      expect(part).toContain('44,299 read');
      expect(part).not.toContain('2026-12');
      expect(part).not.toMatch(signedZero);
    }
  });

  it("writes the charts' text equivalents with month names and grouped numbers", async () => {
    const message = await renderExecutive(report, {});
    const chart = message.images.find((i) => i.cid === 'chart-tickets_created')!;
    expect(chart.alt).toBe('Tickets created per month, Oct 2026 to Nov 2026');
    expect(chart.text).toBe('Oct 2026  3,902\nNov 2026  4,242');
    expect(message.text).toContain('Tickets created: 3,902, 4,242');
  });

  it('gives a change that rounds to zero no arrow and no colour', async () => {
    const { html } = await renderExecutive(report, {});
    expect(html).toContain('bad_timestamp 1,199');
    const csat = rowOf(html, 'CSAT');
    // Against Oct 2026: "0.0 pp" alone; against Nov 2025: the green up-arrow of a rise.
    expect(csat).toMatch(
      /<div [^>]*>0\.0 pp vs Oct 2026 · <span class="p-st-good"[^>]*>▲<\/span> \+2\.0 pp vs Nov 2025/,
    );
    const nps = rowOf(html, 'NPS');
    expect(nps).toMatch(/0\.0 points vs Nov 2025/);
    expect(nps).not.toMatch(/[▲▼■]<\/span> 0\.0/);
    const created = rowOf(html, 'Tickets created');
    expect(created).toMatch(/(?<![▲▼■]<\/span> )0 vs Nov 2025/);
  });

  it("prints in the config's locale, the margin of error too", async () => {
    const nps = { ...(report.kpis.nps as MeasuredKpi), stats: { n: 1200, marginOfError: 2.81 } };
    const message = await renderExecutive({ ...report, kpis: { ...report.kpis, nps } }, { locale: 'de-DE' });
    expect(message.text).toContain('41,7 ± 2,8');
    for (const part of [message.html, message.text]) {
      expect(part).toContain('4.242');
      expect(part).toContain('+23,5 points');
      expect(part).toContain('44.299 read');
      expect(part).not.toContain('4,242');
      expect(part).not.toMatch(signedZero);
    }
  });
});

describe('analyst e-mail formatting', () => {
  const inventory: LakeInventory = {
    months: ['2026-11'],
    tables: [
      {
        table: 'tickets',
        layer: 'curated',
        rows: 1234567,
        rowsInPeriod: 4242,
        months: { first: '2025-11', last: '2026-11', count: 13 },
        freshestColumn: 'updated_at',
        freshest: '2026-11-30T22:00:00.000Z',
      },
    ],
  };

  it('groups every count in the locale', async () => {
    const us = await renderAnalyst(report, { inventory, queries: null }, { name: 'analyst' });
    for (const part of [us.html, us.text]) {
      expect(part).toContain('1,234,567');
      expect(part).toContain('4,242');
      expect(part).toContain('44,299 read · 44,100 accepted · 199 rejected');
      expect(part).toContain('bad_timestamp 1,199');
      expect(part).toContain('reply_before_created 1,234');
    }
    const de = await renderAnalyst(report, { inventory, queries: null }, { name: 'analyst', locale: 'de-DE' });
    expect(de.text).toContain('44.299 read · 44.100 accepted · 199 rejected');
    expect(de.text).toContain('NPS: 41,7');
    expect(us.text).toContain('CSAT change: −0.3 pp');
    expect(us.html).toContain('<b>−0.3 pp</b>');
  });
});

describe('codes as words in the e-mails', () => {
  const sliced: KpiReport = { ...report, slice: { segment: 'mid_market' } };
  const inventory: LakeInventory = { months: ['2026-11'], tables: [] };

  it('names a slice by its label, the config overriding the built-in words', async () => {
    const built = await renderExecutive(sliced, {});
    expect(built.subject).toBe('Customer service scorecard — November 2026 (segment Mid-market)');
    expect(built.text).toContain('segment Mid-market only');
    expect(built.html).not.toContain('mid_market');
    const own = await renderExecutive(sliced, { labels: { mid_market: 'Mid-size' } });
    expect(own.subject).toContain('(segment Mid-size)');
  });

  it('gives the analyst the code beside the words, since SQL matches on the code', async () => {
    const message = await renderAnalyst(sliced, { inventory, queries: null }, { name: 'analyst' });
    expect(message.text).toContain('the slice segment Mid-market (mid_market)');
  });
});

describe('a full source in the data quality footers', () => {
  // helpdesk is a full source whose latest export no longer held 1,200 records; crm is incremental
  const helpdesk = { ...report.dataQuality.sources[0]!, removed: 1200 };
  const crm = { ...report.dataQuality.sources[0]!, source: 'crm' };
  const full: KpiReport = { ...report, dataQuality: { ...report.dataQuality, sources: [helpdesk, crm] } };
  const inventory: LakeInventory = { months: ['2026-11'], tables: [] };

  it('says how many records it removed, in every e-mail and the CSV; an incremental source says nothing', async () => {
    const executive = await renderExecutive(full, {});
    expect(executive.text).toContain(
      'helpdesk/tickets: 44,299 read, 44,100 accepted, 199 rejected, 1,200 removed (no longer in its full export)\n',
    );
    expect(executive.text).toContain('crm/tickets: 44,299 read, 44,100 accepted, 199 rejected\n');
    expect(executive.html).toContain(
      '199 rejected (bad_timestamp 1,199), 1,200 removed (no longer in its full export)',
    );
    const analyst = await renderAnalyst(full, { inventory, queries: null }, { name: 'analyst' });
    for (const part of [analyst.html, analyst.text])
      expect(part).toContain('199 rejected · 1,200 removed (no longer in its full export)');
    const csv = analyst.files.find((a) => a.filename === 'data-quality.csv');
    expect(csv?.content.toString()).toContain('source,helpdesk,tickets,records_removed,,1200');
    expect(csv?.content.toString()).not.toContain('source,crm,tickets,records_removed');
  });
});
