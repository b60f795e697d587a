import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KpiReport } from '../../functions/kpis/types.ts';
import { getJson } from '../../functions/ports/objectStore.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { audienceReportKey, evaluate } from '../../functions/stages/evaluate.ts';
import { buildFixtureLake, measured } from '../support/lake.ts';

/**
 * Small samples and a sliced report's drivers, evaluated on the golden tickets
 * (test/fixtures/golden/tickets.csv, October 2026, Europe/Helsinki; see golden-tickets.test.ts).
 */
const fixture = path.resolve(import.meta.dirname, '../fixtures/golden/pulse.config.json');
const lake = path.resolve(import.meta.dirname, '../../.tmp/samples-lake');

let ctx: StageContext;
let report: KpiReport;
let alpha: KpiReport;

beforeAll(async () => {
  ({ ctx, report } = await buildFixtureLake(fixture, '2026-10', {
    lake,
    now: new Date('2026-11-02T06:00:00Z'),
    configure: (config) => {
      config.targets.one_touch_rate = { target: 0.99 };
      config.audiences = [
        { name: 'executive', report: 'executive', recipients: ['ceo@example.com'] },
        { name: 'alpha-lead', report: 'executive', recipients: ['alpha@example.com'], slice: { team: 'alpha' } },
      ];
    },
  }));
  alpha = (await getJson<KpiReport>(ctx.store, audienceReportKey('2026-10', 'alpha-lead')))!;
});

afterAll(async () => {
  await ctx.engine.close();
});

describe('definitions.minSample in evaluate', () => {
  it('a rate on fewer than 30 tickets is a small sample: status none, no drivers, no explanation', () => {
    const oneTouch = measured(report, 'one_touch_rate');
    expect(oneTouch.sample).toEqual({ n: oneTouch.stats.denominator, small: true });
    expect(oneTouch.sample!.n).toBeGreaterThan(0);
    expect(oneTouch.sample!.n).toBeLessThan(30);
    expect(oneTouch).toMatchObject({ status: 'none', drivers: [], explanation: null });
    // Every rate and score carries its n, the same as its stats.
    for (const kpi of Object.values(report.kpis))
      if (kpi.status !== 'not_measured' && (kpi.unit === 'ratio' || kpi.unit === 'score'))
        expect(kpi.sample?.n, kpi.id).toBe(kpi.stats.n);
  });

  it('the same rate over a lower minimum takes its status against the target', async () => {
    ctx.config.definitions.minSample = 1;
    const lower = await evaluate(ctx);
    ctx.config.definitions.minSample = 30;
    const oneTouch = measured(lower, 'one_touch_rate');
    expect(oneTouch.value).toBe(measured(report, 'one_touch_rate').value);
    expect(oneTouch.sample?.small).toBe(false);
    // Below the 99% target: a warning.
    expect(oneTouch.value!).toBeLessThan(0.99);
    expect(oneTouch.status).toBe('warning');
  });
});

describe("a sliced report's drivers", () => {
  it('the unsliced report decomposes by team', () => {
    // September: T17, T18, T19, all alpha = 3. October: alpha 8, beta 8 (T03, T04, T07, T11, T14,
    // T16, T20, T23) = 16. By team: alpha +5, beta +8 = +13; beta's 8/13 = 62% is the largest effect.
    const created = measured(report, 'tickets_created');
    expect(created.drivers[0]).toMatchObject({ dimension: 'team', member: 'beta', effect: 8 });
    expect(created.explanation).toBe(
      'Tickets created rose 433% (3 → 16); team beta (new this period) drove 62% of the rise.',
    );
  });

  it("never decompose by the slice's own dimension", () => {
    // Alpha's tickets created: September T17, T18 (email), T19 (phone) = 3; October T01, T02, T08,
    // T09, T10 (email), T05 (phone), T06 (web), T12 (chat) = 8. By channel: email +3, web +1,
    // chat +1, phone 0 = +5, all upward: email (2 → 5, up 2.5×) drove 3/5 = 60%. By team there is only alpha,
    // which would "drive 100%" of any change.
    const created = measured(alpha, 'tickets_created');
    expect(created.drivers.map((d) => d.dimension)).not.toContain('team');
    expect(created.explanation).toBe(
      'Tickets created rose 167% (3 → 8); Email tickets (volume up 2.5×) drove 60% of the rise.',
    );
    for (const kpi of Object.values(alpha.kpis))
      if (kpi.status !== 'not_measured') expect(kpi.explanation ?? '', kpi.id).not.toMatch(/team alpha/);
  });

  it("carries the n of its rates and scores from the slice's own records", () => {
    const csat = measured(alpha, 'csat');
    expect(csat.sample).toEqual({ n: csat.stats.denominator, small: true });
    expect(csat.sample!.n).toBeLessThan(measured(report, 'csat').sample!.n);
  });
});
