import { appendFileSync, cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { loadConfig } from '../../functions/config/load.ts';
import { kpiCatalog } from '../../functions/kpis/catalog.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { KpiReport, MeasuredKpi } from '../../functions/kpis/types.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { curate } from '../../functions/stages/curate.ts';
import { evaluate } from '../../functions/stages/evaluate.ts';
import { extract } from '../../functions/stages/extract.ts';
import { buildMarts } from '../../functions/stages/marts.ts';

/**
 * Golden dataset for the whole catalog: test/fixtures/golden-catalog/, every entity, UTC,
 * period 2026-10. The expected values are worked out by hand below; each comment shows how.
 */
const fixture = path.resolve(import.meta.dirname, '../fixtures/golden-catalog/pulse.config.json');
const lake = path.resolve(import.meta.dirname, '../../.tmp/golden-catalog-lake');

let ctx: StageContext;
let report: KpiReport;
const kpi = (id: string): MeasuredKpi => {
  const result = report.kpis[id];
  if (!result || result.status === 'not_measured') throw new Error(`${id} not measured`);
  return result;
};

beforeAll(async () => {
  rmSync(lake, { recursive: true, force: true });
  ctx = await createLocalContext(await loadConfig(fixture), parsePeriod('2026-10'), { quiet: true });
  await extract(ctx);
  await curate(ctx);
  await buildMarts(ctx);
  report = await evaluate(ctx);
});

afterAll(async () => ctx.engine.close());

describe('golden catalog, October 2026', () => {
  it('holds every KPI id of the catalog, each with a value', () => {
    expect(Object.keys(report.kpis).sort()).toEqual(kpiCatalog.map((d) => d.id).sort());
    const notMeasured = Object.values(report.kpis).filter((k) => k.status === 'not_measured');
    expect(notMeasured).toEqual([]);
  });

  it('reports each source\'s freshest record, dates and ledger periods included', () => {
    const freshest = (entity: string) => report.dataQuality.sources.find((s) => s.entity === entity)?.freshestRecordAt;
    expect(freshest('agent_time')).toBe('2026-10-12T00:00:00.000Z'); // b1 on 12 Oct, the latest day
    expect(freshest('costs')).toBe('2026-10-01T00:00:00.000Z'); // ledger period 2026-10
  });

  it('contacts: service level, abandonment, handle and queue answer time', () => {
    // Queued Q1–Q4; answered within 20 s (≤): Q1 10 s, Q2 20 s → 2/4; Q4 abandoned → 1/4.
    expect(kpi('service_level').value).toBe(0.5);
    expect(kpi('abandonment_rate').value).toBe(0.25);
    // Handle = talk + hold + after-contact: 450, 660, 240 → p50 450; p90 at rank 1.8 → 450 + 0.8·210 = 618.
    expect(kpi('handle_time').stats).toMatchObject({ p50: 450, p90: 618, mean: 450, n: 3 });
    // Queue → answer: 10, 20, 60 s → p50 20; p90 at rank 1.8 → 20 + 0.8·40 = 52; mean 30.
    expect(kpi('queue_answer_time').stats).toMatchObject({ p50: 20, p90: 52, mean: 30, n: 3 });
  });

  it('abandonment counts contacts flagged abandoned, not every contact left unanswered', async () => {
    // The fixture plus Q5: queued on 9 Oct, never answered, not flagged (a callback). Queued 5;
    // abandoned Q4 only → 1/5; within 20 s Q1, Q2 → 2/5; handle time still over the 3 answered.
    const dir = path.resolve(import.meta.dirname, '../../.tmp/golden-catalog-callback');
    rmSync(dir, { recursive: true, force: true });
    cpSync(path.dirname(fixture), dir, { recursive: true });
    appendFileSync(path.join(dir, 'contacts.csv'), 'Q5,,c2,voice,2026-10-09T09:00:00Z,,2026-10-09T09:02:00Z,false,0,0,0,\n');
    const loaded = await loadConfig(path.join(dir, 'pulse.config.json'));
    loaded.config.lake = path.join(dir, 'lake');
    const callback = await createLocalContext(loaded, parsePeriod('2026-10'), { quiet: true });
    await extract(callback);
    await curate(callback);
    await buildMarts(callback);
    const withCallback = await evaluate(callback);
    await callback.engine.close();
    rmSync(dir, { recursive: true, force: true });
    expect(withCallback.kpis.abandonment_rate?.value).toBe(0.2);
    expect(withCallback.kpis.service_level?.value).toBe(0.4);
    expect((withCallback.kpis.handle_time as MeasuredKpi).stats.n).toBe(3);
  });

  it('orders: perfect order and its parts (SCOR)', () => {
    // O1 perfect; O2 late (6 days), short, entry error, bad invoice; O3 undelivered, short,
    // bad status; O4 delivered in exactly 5 days (on time on the boundary), perfect → 2/4.
    expect(kpi('perfect_order_rate').value).toBe(0.5);
    expect(kpi('order_entry_accuracy').value).toBe(0.75); // O2 had an entry error
    expect(kpi('first_time_fill_rate').value).toBe(9 / 12); // (5+3+0+1) ÷ (5+4+2+1)
    expect(kpi('invoice_accuracy').value).toBe(0.75);
    expect(kpi('order_status_accuracy').value).toBe(0.75);
    expect(kpi('on_time_delivery_rate').value).toBeCloseTo(2 / 3, 12); // O1, O4 of 3 delivered
    // Notified → entered: 1800, 3600, 1800, 1200 → p50 1800; p90 at 2.7 → 1800 + 0.7·1800 = 3060.
    expect(kpi('order_entry_time').stats).toMatchObject({ p50: 1800, p90: 3060, mean: 2100, n: 4 });
    // Entered → delivered: 259200, 514800, 430800 → p50 430800; p90 at 1.8 → 430800 + 0.8·84000.
    expect(kpi('order_processing_time').stats).toMatchObject({ p50: 430800, p90: 498000, mean: 401600, n: 3 });
  });

  it('self-service ease', () => {
    expect(kpi('self_service_completion_rate').value).toBeCloseTo(2 / 3, 12);
    expect(kpi('self_service_clicks').value).toBe(4); // (5 + 3) ÷ 2 completed
    expect(kpi('self_service_clicks').stats.screens).toBe(2.5);
  });

  it('agents: output beside CSAT, and turnover', () => {
    // Solved with an assignee: K1 (a1), K2 (a2); agents with time in October: a1, a2, b1.
    expect(kpi('solved_per_agent').value).toBeCloseTo(2 / 3, 12);
    // Every agent with time in October is listed: b1 worked 5 h (12 Oct) and solved nothing → 0.
    // K4 has no assignee, so nobody else appears.
    expect(kpi('solved_per_agent').breakdowns.agent).toEqual({ a1: 1, a2: 1, b1: 0 });
    expect(kpi('solved_per_agent').breakdowns.agent_csat).toEqual({ a1: 1, a2: 0 }); // S1 5 on K1, S2 3 on K2
    expect(kpi('solved_per_worked_hour').value).toBeCloseTo(2 / 27, 12); // a1 16 h + a2 6 h + b1 5 h
    // Leavers: b2 (left_on 1 Oct), a2 (15 Oct). Headcount 1 Oct: a1, a2; 31 Oct: a1, b1 → 2 ÷ 2.
    expect(kpi('agent_turnover_rate').value).toBe(1);
    expect(kpi('agent_turnover_rate').stats).toMatchObject({ headcountFirstDay: 2, headcountLastDay: 2 });
  });

  it('surveys: CSAT from survey answers, NPS within its bounds, CES', () => {
    expect(kpi('csat').value).toBeCloseTo(2 / 3, 12); // 5, 3, 4
    expect(kpi('csat').stats.responseRate).toBe(1); // 3 answers ÷ 3 solved
    // NPS answers 10, 9, 7, 3 → 100 × (2 − 1) ÷ 4.
    expect(kpi('nps').value).toBe(25);
    expect(kpi('nps').value!).toBeGreaterThanOrEqual(-100);
    expect(kpi('nps').value!).toBeLessThanOrEqual(100);
    expect(kpi('ces').value).toBe(3.5);
    // Every survey KPI carries n and the response rate: answers ÷ the 3 tickets solved.
    expect(kpi('nps').stats).toMatchObject({ n: 4, responseRate: 4 / 3 });
    expect(kpi('ces').stats).toMatchObject({ n: 2, responseRate: 2 / 3 });
  });

  it('survey margins of error from the answers, and every rate under 30 a small sample', () => {
    // CSAT 2 of 3, Wilson: z²/n = 1.280533; centre (0.666667 + 0.640267) ÷ 2.280533 = 0.573078;
    // half 1.96 ÷ 2.280533 · √(0.074074 + 0.106711) = 0.859448 · 0.425189 = 0.365427.
    expect(kpi('csat').stats.intervalLow).toBeCloseTo(0.207655, 6);
    expect(kpi('csat').stats.intervalHigh).toBeCloseTo(0.938510, 6);
    // NPS 2 promoters and 1 detractor of 4: Var = (0.75 − 0.25²) ÷ 4 = 0.171875, SE 0.414578,
    // margin 1.96 · 0.414578 · 100 = 81.26 points.
    expect(kpi('nps').stats.marginOfError).toBeCloseTo(81.257, 3);
    expect(kpi('ces').stats.marginOfError).toBeUndefined();
    expect(kpi('nps')).toMatchObject({ sample: { n: 4, small: true }, status: 'none' });
    // Revenue churn rests on the 4 customers active at the start, not on its $400 of MRR.
    expect(kpi('gross_revenue_churn').sample).toEqual({ n: 4, small: true });
  });

  it('churn leaves out customers who joined and left in the period; MRR movements', () => {
    // Running on 30 Sep: c1 100, c2 50, c3 50, c6 200 (cancelled_on 1 Oct: exclusive) → 4, MRR 400.
    // On 31 Oct: c1 70 (downgraded), c3 80 (upgraded), c2 and c6 nothing → churned 2.
    // c5 joined 5 Oct and left 25 Oct: in neither count.
    expect(kpi('customer_churn_rate').value).toBe(0.5);
    expect(kpi('customer_retention_rate').value).toBe(0.5);
    // Churn 50 + 200, contraction 30 (c1), expansion 30 (c3): (250 + 30) ÷ 400; (400 + 30 − 30 − 250) ÷ 400.
    expect(kpi('gross_revenue_churn').value).toBe(0.7);
    expect(kpi('net_revenue_retention').value).toBe(0.375);
  });

  it('cohort retention by signup month', () => {
    // Cohorts before October: 2025-12 {c6} none active; 2026-01 {c1} active; 2026-09 {c2 no, c3 yes}.
    expect(kpi('cohort_retention').breakdowns.cohort).toEqual({ '2025-12': 0, '2026-01': 1, '2026-09': 0.5 });
    expect(kpi('cohort_retention').value).toBe(0.5); // last month's cohort
  });

  it('conversion after contact', () => {
    // Contacted c1 (K1 2 Oct → O1 3 Oct), c2 (K2 3 Oct → O2 4 Oct), c3 (K3 6 Oct; O3 came before), c4 (no order).
    expect(kpi('conversion_after_contact_rate').value).toBe(0.5);
  });

  it('total cost of response, allocated by category, team and channel', () => {
    // Direct labour: a1 16 h × 50 + a2 6 h × 40 + b1 5 h × 60 = 1340; ledger 500 + 200 + 300 + 160 = 1160.
    const trc = kpi('total_cost_of_response');
    expect(trc.value).toBe(2500);
    expect(trc.breakdowns.category).toEqual({ labor: 1840, telephony: 200, tooling: 300, facilities: 160 });
    expect(trc.breakdowns.team).toEqual({ alpha: 1540, beta: 300, shared: 660 });
    // Direct labour by handle seconds of October tickets: email 600, chat 1200, phone 1200 of 3000.
    expect(trc.breakdowns.channel).toEqual({ email: 268, chat: 536, phone: 736, shared: 960 });
    expect(kpi('cost_per_ticket').value).toBe(625);
    expect(kpi('cost_per_resolution').value).toBeCloseTo(2500 / 3, 9);
    expect(kpi('cost_per_contact_minute').value).toBeCloseTo(2500 / 22.5, 9); // 1350 answered seconds
  });

  it('cost to serve and service margin by segment', () => {
    // Handle seconds: c1 enterprise 600, c2 + c3 smb 2400, c4 (no customer record) unknown 0.
    expect(kpi('cost_to_serve_by_segment').breakdowns.segment).toEqual({ enterprise: 500, smb: 2000, unknown: 0 });
    // MRR of subscriptions running at some time in October: enterprise 100 + 70; smb 50 + 50 + 80;
    // mid_market 40 (c5); c6's ended on 1 Oct. Margin: 170 − 500, 180 − 2000, 40, 0 → −2110.
    expect(kpi('service_margin_by_segment').breakdowns.segment).toEqual({ enterprise: -330, smb: -1820, mid_market: 40, unknown: 0 });
    expect(kpi('service_margin_by_segment').value).toBe(-2110);
  });

  it('brand terms count each term once per comment', () => {
    expect(kpi('brand_terms').value).toBe(4);
    expect(kpi('brand_terms').breakdowns.term).toEqual({ refund: 3, app: 2, slow: 2, 'slow refund': 2 });
  });

  it('competitor gap against the configured benchmarks', () => {
    // CSAT 2/3 vs 0.86 → behind by 0.1933; first reply p50 1800 s vs 3600 s (lower is better):
    // 3600 − 1800 = +1800, ahead. One pair behind. Keys are `<kpi>.<benchmark>`.
    expect(kpi('competitor_gap').value).toBe(1);
    expect(Object.keys(kpi('competitor_gap').breakdowns.gap!).sort()).toEqual(['csat.industry', 'first_reply_time.industry']);
    expect(kpi('competitor_gap').breakdowns.gap!['first_reply_time.industry']).toBe(1800);
    expect(kpi('competitor_gap').breakdowns.gap!['csat.industry']).toBeCloseTo(2 / 3 - 0.86, 12);
  });

  it('gives a ratio with nothing to divide by no value, and a total 0 (August: no orders, contacts, hours or costs)', async () => {
    const august = await createLocalContext(await loadConfig(fixture), parsePeriod('2026-08'), { quiet: true });
    const empty = await evaluate(august);
    await august.engine.close();
    const value = (id: string) => {
      const result = empty.kpis[id];
      if (!result || result.status === 'not_measured') throw new Error(`${id} missing in August`);
      return result.value;
    };
    for (const id of ['order_entry_accuracy', 'first_time_fill_rate', 'on_time_delivery_rate', 'perfect_order_rate', 'self_service_clicks', 'solved_per_worked_hour', 'cost_per_contact_minute', 'cost_per_ticket', 'service_level', 'abandonment_rate', 'handle_time']) {
      expect([id, value(id)]).toEqual([id, null]);
    }
    expect([value('total_cost_of_response'), value('tickets_created'), value('tickets_solved')]).toEqual([0, 0, 0]);
    // Running on 31 July: c1 pro 100 and c6 pro 200, both still running on 31 August.
    expect([value('gross_revenue_churn'), value('net_revenue_retention')]).toEqual([0, 1]);
  });

  it('turns exactly the KPIs that need an absent source into notMeasured', async () => {
    for (const entity of ['orders', 'contacts', 'subscriptions'] as const) {
      ctx.config.sources = (await loadConfig(fixture)).config.sources.filter((s) => s.type !== 'csv' || s.entity !== entity);
      const without = await evaluate(ctx);
      const missing = Object.values(without.kpis).filter((k) => k.status === 'not_measured').map((k) => k.id).sort();
      const expected = kpiCatalog.filter((d) => d.inputs.includes(entity)).map((d) => d.id).sort();
      expect(missing).toEqual(expected);
      expect(expected.length).toBeGreaterThan(0);
    }
  });
});
