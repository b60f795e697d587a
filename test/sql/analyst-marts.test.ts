import path from 'node:path';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KpiReport } from '../../functions/kpis/types.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { registerMarts, sqlParams } from '../../functions/stages/lake.ts';
import { buildFixtureLake, measured } from '../support/lake.ts';

/**
 * The analysts' marts ticket_speed and ticket_quality on the golden tickets (Europe/Helsinki,
 * October 2026): additive rows that roll up to the catalog's own numbers, so an analyst who
 * sums them in Athena gets what the report says.
 */
const fixture = path.resolve(import.meta.dirname, '../fixtures/golden/pulse.config.json');
const lake = path.resolve(import.meta.dirname, '../../.tmp/analyst-marts-lake');
let ctx: StageContext;
let report: KpiReport;

beforeAll(async () => {
  ({ ctx, report } = await buildFixtureLake(fixture, '2026-10', { lake, now: new Date('2026-11-02T06:00:00Z') }));
  await registerMarts(ctx, sqlParams(ctx.config, ctx.period));
});

afterAll(async () => {
  await ctx.engine.close();
  rmSync(lake, { recursive: true, force: true });
});

const one = async (sql: string) => (await ctx.engine.query(sql))[0]!;

describe('the analyst marts', () => {
  it('ticket_speed rolls up to the tickets created and the replies of the month', async () => {
    const row = await one(`select sum(tickets) as tickets, sum(replied) as replied, sum(first_reply_seconds_sum) as seconds from ticket_speed where month = '2026-10'`);
    expect(row.tickets).toBe(measured(report, 'tickets_created').value);
    // The same tickets per channel as the KPI's breakdown.
    const byChannel = Object.fromEntries((await ctx.engine.query(`select channel, sum(tickets) as n from ticket_speed where month = '2026-10' group by channel`)).map((r) => [r.channel, r.n]));
    expect(byChannel).toEqual(measured(report, 'tickets_created').breakdowns.channel);
    expect(row.replied).toBeGreaterThan(0);
    expect(Number(row.seconds) / Number(row.replied)).toBeCloseTo(measured(report, 'first_reply_time').stats!.mean!, 6);
  });

  it('ticket_quality rolls up to the solved, reopened and satisfied tickets of the month', async () => {
    const row = await one(`select sum(solved) as solved, sum(reopened) as reopened from ticket_quality where month = '2026-10'`);
    expect(row.solved).toBe(measured(report, 'tickets_solved').value);
    expect(Number(row.reopened) / Number(row.solved)).toBeCloseTo(measured(report, 'reopen_rate').value!, 9);
  });

  it('keeps one row per stated grain', async () => {
    const dupes = await one(`select count(*) - count(distinct channel || '/' || team || '/' || priority || '/' || month) as n from ticket_speed`);
    expect(dupes.n).toBe(0);
    const dupesQ = await one(`select count(*) - count(distinct channel || '/' || team || '/' || month) as n from ticket_quality`);
    expect(dupesQ.n).toBe(0);
  });
});

describe('the agent_month mart, on the whole-catalog fixture', () => {
  const catalogLake = path.resolve(import.meta.dirname, '../../.tmp/analyst-marts-catalog-lake');
  let catalog: StageContext;
  let catalogReport: KpiReport;

  beforeAll(async () => {
    ({ ctx: catalog, report: catalogReport } = await buildFixtureLake(path.resolve(import.meta.dirname, '../fixtures/golden-catalog/pulse.config.json'), '2026-10', { lake: catalogLake }));
    await registerMarts(catalog, sqlParams(catalog.config, catalog.period));
  });

  afterAll(async () => {
    await catalog.engine.close();
    rmSync(catalogLake, { recursive: true, force: true });
  });

  it('rolls up to solved per agent: the tickets solved with an assignee over the agents with hours', async () => {
    const [row] = await catalog.engine.query(`select sum(solved) as solved, count(hours_worked) as agents from agent_month where month = '2026-10'`);
    expect(Number(row!.agents)).toBeGreaterThan(0);
    expect(Number(row!.solved) / Number(row!.agents)).toBeCloseTo(measured(catalogReport, 'solved_per_agent').value!, 9);
    const [dupes] = await catalog.engine.query(`select count(*) - count(distinct agent_id || '/' || month) as n from agent_month`);
    expect(dupes!.n).toBe(0);
  });
});

