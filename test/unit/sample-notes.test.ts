import { describe, expect, it } from 'vitest';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { KpiReport, MeasuredKpi } from '../../functions/kpis/types.ts';
import { analystModel } from '../../functions/report/analyst/model.ts';
import { renderExecutive } from '../../functions/report/executive/index.ts';
import { measuredKpi } from '../support/kpis.ts';

/** The e-mails print a rate's or score's margin of error and a small sample beside its value. */
function kpi(id: string, unit: 'ratio' | 'score', value: number | null, rest: Partial<MeasuredKpi>): MeasuredKpi {
  return measuredKpi({ id, label: id.toUpperCase(), family: 'customers', unit, value, ...rest });
}

const reportOf = (kpis: MeasuredKpi[], slice?: Record<string, string>): KpiReport => ({
  period: parsePeriod('2026-11'),
  ...(slice ? { slice } : {}),
  generatedAt: '2026-12-01T06:00:00Z',
  timezone: 'UTC',
  currency: 'EUR',
  kpis: Object.fromEntries(kpis.map((k) => [k.id, k])),
  forecast: null,
  dataQuality: { sources: [], excludedFromTimeMetrics: { total: 0, byReason: {} }, duplicatesMerged: 0 },
});

// NPS 41.7 from 24 answers (13 promoters, 3 detractors): margin 28.09 points (test/unit/uncertainty.test.ts).
const nps = kpi('nps', 'score', 41.7, {
  target: 30,
  stats: { n: 24, marginOfError: 28.093, intervalLow: 13.6, intervalHigh: 69.8 },
  sample: { n: 24, small: true },
});
// CSAT 90/100: Wilson margin 0.059569.
const csat = kpi('csat', 'ratio', 0.9, {
  status: 'good',
  target: 0.85,
  stats: { n: 100, marginOfError: 0.059569 },
  sample: { n: 100, small: false },
});

describe('sample notes in the e-mails (docs/rules.md, "Samples")', () => {
  it('the executive e-mail gives "± x" and "n = 24, small sample" in place of a status', async () => {
    const message = await renderExecutive(reportOf([nps, csat]), { kpis: ['nps', 'csat'], locale: 'en-US' });
    expect(message.html).toContain('41.7<span style="font-size:12px;font-weight:normal"> ± 28.1</span>');
    expect(message.html).toContain('● n = 24, small sample');
    expect(message.html).toContain('90.0%<span style="font-size:12px;font-weight:normal"> ± 6.0 pp</span>');
    expect(message.text).toMatch(/NPS +41\.7 ± 28\.1 +n = 24, small sample/);
    expect(message.text).toMatch(/CSAT +90\.0% ± 6\.0 pp +Good/);
  });

  it("a small sample's change keeps its arrow but takes no colour", async () => {
    const moved = { ...nps, previous: 18.2, change: 23.5 };
    const message = await renderExecutive(reportOf([moved, { ...csat, previous: 0.8, change: 0.1 }]), {
      kpis: ['nps', 'csat'],
    });
    const arrows = [...message.html.matchAll(/<span class="([^"]*)" style="color:[^"]*">▲<\/span>/g)].map((m) => m[1]);
    // NPS (n = 24) first: muted; CSAT (n = 100) rose, which is better: good.
    expect(arrows[0]).not.toMatch(/good|critical/);
    expect(arrows[1]).toMatch(/good/);
  });

  it('a sliced report says why a survey score has no value', async () => {
    const none = kpi('nps', 'score', null, { stats: { n: 0 }, sample: { n: 0, small: true } });
    const message = await renderExecutive(reportOf([none], { team: 'frontline' }), { kpis: ['nps'] });
    expect(message.html).toContain('● n = 0, none in this slice');
    expect(message.text).toMatch(/NPS +– +n = 0, none in this slice/);
  });

  it('the analyst report shows the same beside each value', () => {
    const model = analystModel(
      reportOf([nps, csat]),
      { inventory: { months: ['2026-11'], tables: [] }, queries: null },
      { locale: 'en-US' },
    );
    expect(model.kpis.map((k) => k.shown)).toEqual(['90.0% ± 6.0 pp', '41.7 ± 28.1 (n = 24, small sample)']);
  });
});
