import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KpiReport, MeasuredKpi } from '../../functions/kpis/types.ts';
import { getJson } from '../../functions/ports/objectStore.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { reportKey } from '../../functions/stages/evaluate.ts';
import { buildFixtureLake, measured } from '../support/lake.ts';

/**
 * Golden dataset for a period of several months: test/fixtures/golden-quarter/, UTC, period
 * 2026-Q3 (July, August, September). docs/rules.md ("Periods of several months"): "every KPI is computed over the records of all
 * its months as if one period (no averaging of monthly values); backlog at the last month's end;
 * churn from the day before the first month to the last day; cohort_retention's value is the
 * cohort of the month before the period; service margin's revenue sums, month by month, the MRR
 * of the subscriptions running at some time in that month."
 *
 * Tickets: P1 (20 Jun, still open), J1 J2 J3 (July), A1 (August), S1 S2 S3 S4 (September),
 * O1 (2 Oct). Every expected number is worked out by hand from the fixture rows below.
 */
const fixture = path.resolve(import.meta.dirname, '../fixtures/golden-quarter/pulse.config.json');
const lake = path.resolve(import.meta.dirname, '../../.tmp/golden-quarter-lake');

let ctx: StageContext;
let report: KpiReport;
const kpi = (id: string): MeasuredKpi => measured(report, id);
const historyOf = (id: string, months: string[]) => kpi(id).history.filter((h) => months.includes(h.month)).map((h) => h.value);
const quarter = ['2026-07', '2026-08', '2026-09'];

beforeAll(async () => {
  ({ ctx } = await buildFixtureLake(fixture, '2026-Q3', { lake }));
  // The report as users read it: reports/2026-Q3/kpis.json in the lake.
  const written = await getJson<KpiReport>(ctx.store, reportKey('2026-Q3'));
  if (!written) throw new Error('evaluate wrote no reports/2026-Q3/kpis.json');
  report = written;
});

afterAll(async () => ctx.engine.close());

describe('golden quarter, 2026-Q3', () => {
  it('counts tickets over the three months (P1 in June and O1 in October outside)', () => {
    // July J1 J2 J3, August A1, September S1 S2 S3 S4: 3 + 1 + 4 = 8 (the monthly mean would be 2.67).
    expect(kpi('tickets_created').value).toBe(8);
    expect(kpi('tickets_created').breakdowns.month).toEqual({ '2026-07': 3, '2026-08': 1, '2026-09': 4 });
    // The previous period is Q2 (April–June): P1 only.
    expect(kpi('tickets_created').previous).toBe(1);
    // Solved in the quarter: J1 (7 Jul), J2 (3 Aug), A1 (12 Aug), S1 (1 Sep), S2 (9 Sep); J3 on
    // 5 Oct and S4 at 00:00 on 1 Oct are October's.
    expect(kpi('tickets_solved').value).toBe(5);
  });

  it('takes a rate over all the quarter\'s tickets, not the mean of the monthly rates', () => {
    // First replies (s): J1 3600, J2 7200, J3 108000 (30 h); A1 172800 (48 h); S1 600, S2 1800,
    // S3 3600, S4 86400 (exactly 24 h: passes). Within 24 h: July 2/3, August 0/1, September 4/4.
    // The quarter: (2 + 0 + 4) ÷ (3 + 1 + 4) = 6/8 = 0.75; the mean of the months would be 5/9.
    expect(kpi('replied_within_24h_rate').value).toBe(0.75);
    expect(kpi('replied_within_24h_rate').stats).toMatchObject({ numerator: 6, denominator: 8 });
    const monthly = historyOf('replied_within_24h_rate', quarter);
    expect(monthly[0]).toBeCloseTo(2 / 3, 12);
    expect(monthly.slice(1)).toEqual([0, 1]);
  });

  it('takes a duration\'s quantiles over all the quarter\'s tickets, not the monthly medians', () => {
    // Sorted: 600 1800 3600 3600 7200 86400 108000 172800, n 8.
    // p50 at rank 3.5 → 3600 + 0.5·(7200 − 3600) = 5400; p90 at rank 6.3 → 108000 + 0.3·64800 = 127440;
    // mean 384000 ÷ 8 = 48000. Monthly medians: July 7200, August 172800, September (1800 + 3600) ÷ 2
    // = 2700 (their mean would be 60900, their median 7200).
    expect(kpi('first_reply_time').stats).toMatchObject({ p50: 5400, p90: 127440, mean: 48000, n: 8 });
    expect(historyOf('first_reply_time', quarter)).toEqual([7200, 172800, 2700]);
  });

  it('counts the backlog at the end of the quarter\'s last month', () => {
    // Open at 2026-10-01T00:00Z: P1 (never solved), J3 (solved 5 Oct), S3 (open), S4 (solved at
    // exactly 00:00 on 1 Oct, not before the end) → 4. At the end of July it was 3 (P1 J2 J3), of
    // August 2 (P1 J3): not their sum 9, nor their mean.
    expect(kpi('backlog_open').value).toBe(4);
    expect(historyOf('backlog_open', quarter)).toEqual([3, 2, 4]);
  });

  it('measures churn from the day before the quarter to its last day', () => {
    // Running on 30 Jun: u1 100, u2 50 (to 15 Aug), u3 40, u5 200 (cancelled_on 1 Jul, exclusive),
    // u6 60 → 5 customers, MRR 450. Running on 30 Sep: u1, u3, u6 → churned u2, u5: 2/5.
    // u4 joined 1 Aug and left 10 Sep: in neither count. Months: 1/5, 1/4 (u2), 1/4 (u4).
    expect(kpi('customer_churn_rate').value).toBe(0.4);
    expect(kpi('customer_retention_rate').value).toBe(0.6);
    // Churned MRR 50 + 200 = 250 of 450; no contraction or expansion.
    expect(kpi('gross_revenue_churn').value).toBeCloseTo(250 / 450, 12);
    expect(kpi('net_revenue_retention').value).toBeCloseTo(200 / 450, 12);
    expect(historyOf('customer_churn_rate', quarter)).toEqual([0.2, 0.25, 0.25]);
  });

  it('gives cohort retention the cohort of the month before the quarter as its value', () => {
    // Cohorts signed up before 1 Jul, active on 30 Sep: 2026-01 {u1} 1; 2026-05 {u5} 0;
    // 2026-06 {u2 no, u3 yes, u6 yes} 2/3. u4 (2026-08) signed up inside the quarter.
    expect(kpi('cohort_retention').breakdowns.cohort).toEqual({ '2026-01': 1, '2026-05': 0, '2026-06': 2 / 3 });
    expect(kpi('cohort_retention').value).toBeCloseTo(2 / 3, 12); // June's cohort
  });

  it('lists every agent with time in the quarter, those who solved nothing at 0, and assignees without time', () => {
    // Solved with an assignee: J1 J2 A1 (g1), S1 (g2), S2 (g9) → 5. Agents with agent_time in
    // Q3: g1 (10 Jul, 10 Aug), g3 (15 Jul), g2 (10 Sep) → 3; 5 ÷ 3. g3 solved nothing: 0;
    // g9 solved S2 but has no agent_time: still listed.
    expect(kpi('solved_per_agent').value).toBeCloseTo(5 / 3, 12);
    expect(kpi('solved_per_agent').breakdowns.agent).toEqual({ g1: 3, g2: 1, g3: 0, g9: 1 });
    // Hours worked in Q3: 8 + 4 + 8 + 5 = 25 (g1's 30 Jun and 1 Oct days outside) → 5 ÷ 25.
    expect(kpi('solved_per_worked_hour').value).toBe(0.2);
  });

  it('weighs three months of revenue against the quarter\'s cost to serve', () => {
    // TRC: direct labour g1 16 h × 50 + g3 4 h × 30 + g2 5 h × 40 = 1120; ledger 300 × 3 = 900
    // (June's and October's 999 outside) → 2020.
    expect(kpi('total_cost_of_response').value).toBe(2020);
    // Handle seconds of Q3 tickets: enterprise (u1) J1 600 + A1 300 + S3 110 = 1010; smb J2 600
    // (u2) + J3 1200 + S2 400 (u3) + S1 830 (u6) = 3030; S4's u9 has no customer record: unknown 0.
    // Cost to serve: 2020 × 1010/4040 = 505, 2020 × 3030/4040 = 1515.
    expect(kpi('cost_to_serve_by_segment').breakdowns.segment).toEqual({ enterprise: 505, smb: 1515, unknown: 0 });
    // MRR of subscriptions running at some time in each month:
    //   July   u1 100, u2 50, u3 40, u6 60 = 250 (u5 ended 1 Jul, u4 starts 1 Aug)
    //   August u1 100, u2 50, u3 40, u4 30, u6 60 = 280
    //   Sept.  u1 100, u3 40, u4 30, u6 60 = 230 (u2 ended 15 Aug)
    // Enterprise 3 × 100 = 300; smb 150 + 180 + 130 = 460. Margin 300 − 505 = −205,
    // 460 − 1515 = −1055, unknown 0 → −1260 = 760 − 2020. Counting each subscription once would
    // give 280 of revenue against three months of cost.
    expect(kpi('service_margin_by_segment').breakdowns.segment).toEqual({ enterprise: -205, smb: -1055, unknown: 0 });
    expect(kpi('service_margin_by_segment').value).toBe(-1260);
  });
});
