import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDemoConfig } from '../../functions/cli/demo.ts';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { loadConfig } from '../../functions/config/load.ts';
import { readSql, renderSql } from '../../functions/dialect/sqlText.ts';
import { measureQueries } from '../../functions/kpis/measure.ts';
import { monthRange, parsePeriod, periodFromMonths } from '../../functions/kpis/period.ts';
import { generateSampleCompany } from '../../functions/sample/demoCompany.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { curate } from '../../functions/stages/curate.ts';
import { extract } from '../../functions/stages/extract.ts';
import { kpiMonthlyRowsSql, periodsParams, registerLake, sourceParams } from '../../functions/stages/lake.ts';
import { buildMarts } from '../../functions/stages/marts.ts';

/**
 * durations.sql and ticket_rates.sql take each breakdown as a grouping set of one aggregation and
 * turn only the sums into rows per KPI: they copy no fact once per breakdown and KPI before
 * aggregating, as they did when they were most of the marts stage's time (issue 22: 100 rows per
 * ticket in ticket_rates). Read from DuckDB's profile of each query run as the marts stage runs it
 * for kpi_monthly (every month a period): no step of the plan holds more rows than the query read
 * from its tables and returned together. The lake: the sample company, all sources, 3 months.
 */
const months = monthRange('2026-08', '2026-10');
let dir: string;
let ctx: StageContext;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pulse-kpi-plan-'));
  await generateSampleCompany({
    outDir: path.join(dir, 'exports'),
    months: months.length,
    ticketsPerMonth: 300,
    seed: 11,
    endMonth: '2026-10',
  });
  const loaded = await loadConfig(await writeDemoConfig(dir, 'UTC'));
  ctx = await createLocalContext(loaded, parsePeriod('2026-10'), { quiet: true });
  await extract(ctx);
  await curate(ctx);
  await buildMarts(ctx);
  await registerLake(ctx);
}, 300_000);

afterAll(async () => {
  await ctx?.engine.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface PlanNode {
  operator_type?: string;
  operator_cardinality?: number;
  children?: PlanNode[];
}

/** Every step of a query's plan as DuckDB ran it, with the rows each emitted. */
async function planOf(sql: string): Promise<PlanNode[]> {
  const [row] = await ctx.engine.query(`explain (analyze, format json) ${sql}`);
  const nodes: PlanNode[] = [];
  const walk = (node: PlanNode) => {
    nodes.push(node);
    for (const child of node.children ?? []) walk(child);
  };
  walk(JSON.parse(String(row!.explain_value)) as PlanNode);
  return nodes;
}

describe('the KPI queries aggregate each fact once, whatever the breakdowns', () => {
  it.each(['kpis/durations.sql', 'kpis/ticket_rates.sql'])('%s holds no step larger than its reads and its rows', async (file) => {
    const query = measureQueries.find((q) => q.file === file)!;
    const params = {
      ...periodsParams(
        ctx.config,
        months.map((m) => periodFromMonths([m])),
      ),
      ...sourceParams(ctx.config),
    };
    const sql = kpiMonthlyRowsSql(query, renderSql(readSql(file), params));
    const plan = await planOf(sql);
    const rows = (n: PlanNode) => n.operator_cardinality ?? 0;
    const read = plan.filter((n) => n.operator_type === 'TABLE_SCAN').reduce((sum, n) => sum + rows(n), 0);
    const returned = (await ctx.engine.query(sql)).length;
    // The lake has 3 × 300 tickets (and more records for durations' contacts and orders): a query
    // copying each ticket once per breakdown would hold thousands of rows in one step.
    expect(read).toBeGreaterThan(900);
    expect(Math.max(...plan.map(rows))).toBeLessThanOrEqual(read + returned);
  });
});
