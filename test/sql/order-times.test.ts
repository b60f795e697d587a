import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KpiReport, MeasuredKpi } from '../../functions/kpis/types.ts';
import { buildFixtureLake } from '../support/lake.ts';

/**
 * DESIGN's order rules (issue 21): an order whose later timestamps precede its earlier ones is
 * kept and counted, but left out of the order time metrics (order_processing_time,
 * order_entry_time, on_time_delivery_rate) and counted in dataQuality.excludedFromTimeMetrics.
 * The whole-catalog fixture's four orders, and two more with impossible times.
 */
const fixture = path.resolve(import.meta.dirname, '../fixtures/golden-catalog');
let dir = '';
let report: KpiReport;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pulse-order-times-'));
  cpSync(fixture, dir, { recursive: true });
  const config = JSON.parse(readFileSync(path.join(dir, 'pulse.config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(path.join(dir, 'pulse.config.json'), JSON.stringify({ ...config, lake: './lake' }));
  const orders = readFileSync(path.join(dir, 'orders.csv'), 'utf8');
  writeFileSync(
    path.join(dir, 'orders.csv'),
    orders +
      // O5: delivered (9 Oct) before it was ordered (10 Oct), and before it was entered.
      'O5,c1,2026-10-10T10:00:00Z,2026-10-10T10:00:00Z,2026-10-10T10:30:00Z,2026-10-09T08:00:00Z,2026-10-09T10:00:00Z,0,1,1,true,true\n' +
      // O6: entered (09:00) before it was notified (10:00); delivered two days later.
      'O6,c2,2026-10-12T10:00:00Z,2026-10-12T10:00:00Z,2026-10-12T09:00:00Z,2026-10-13T10:00:00Z,2026-10-14T10:00:00Z,0,1,1,true,true\n',
  );
  const built = await buildFixtureLake(path.join(dir, 'pulse.config.json'), '2026-10', {
    now: new Date('2026-11-02T06:00:00Z'),
  });
  report = built.report;
  await built.ctx.engine.close();
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const stats = (id: string) => (report.kpis[id] as MeasuredKpi).stats;

describe("orders with impossible times (DESIGN's order rules)", () => {
  it('are left out of on_time_delivery_rate: still O1 and O4 on time of the 3 delivered with sound times', () => {
    // Counted, O5 (−1 day) and O6 (2 days) were "on time": 4 of 5.
    expect(report.kpis.on_time_delivery_rate?.value).toBeCloseTo(2 / 3, 12);
  });

  it('are left out of order_processing_time and order_entry_time: the fixture figures stand', () => {
    // O6's entered → delivered (176,400 s) would have been a fourth processing time; O5's
    // notified → entered (1,800 s) a fifth entry time. The fixture's own (golden-catalog.test.ts):
    expect(stats('order_processing_time')).toMatchObject({ p50: 430800, p90: 498000, mean: 401600, n: 3 });
    expect(stats('order_entry_time')).toMatchObject({ p50: 1800, p90: 3060, mean: 2100, n: 4 });
  });

  it('are counted in dataQuality.excludedFromTimeMetrics by reason, and still counted as orders', () => {
    const excluded = report.dataQuality.excludedFromTimeMetrics;
    expect(excluded.byReason).toMatchObject({ delivered_before_ordered: 1, entered_before_notified: 1 });
    expect(excluded.total).toBe(Object.values(excluded.byReason).reduce((a, b) => a + b, 0));
    // Six orders placed: both kept in the order counts (order_entry_accuracy: 5 clean of 6 entered).
    expect(report.kpis.order_entry_accuracy?.value).toBeCloseTo(5 / 6, 12);
  });
});
