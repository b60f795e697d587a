/**
 * The KPI queries of sql/kpis/ timed one by one as the marts stage runs them for kpi_monthly:
 * every month of the lake a period, one statement a query (kpiMonthlyRowsSql), written to a table.
 *   npx tsx bench/kpi-queries.ts
 * KPI_TICKETS (200000) tickets over KPI_MONTHS (13) months, tickets only as `npm run bench`'s ratio
 * runs; KPI_CATALOG=1 every entity (contacts and orders reach durations). The lake is built once
 * (extract, curate, marts) under .bench/kpi-…, and reused.
 * KPI_QUERIES=ticket_rates,durations times some; KPI_REPEAT=3 runs each three times (min, median).
 * KPI_BASE=<git ref> also runs that ref's text of each query and counts the rows either one has that
 * the other lacks: a rewrite must return the same rows; the two texts' runs alternate, so a loaded
 * machine weighs on both alike. KPI_CPU=1 adds each text's CPU seconds (all threads, from DuckDB's
 * profile of one more run), steadier than the wall clock on a shared machine. KPI_EXPLAIN=1 prints
 * DuckDB's EXPLAIN ANALYZE.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeDemoConfig } from '../functions/cli/demo.ts';
import { createLocalContext } from '../functions/cli/wiring.ts';
import { loadConfig } from '../functions/config/load.ts';
import type { DuckDbEngine } from '../functions/adapters/local/duckdbEngine.ts';
import { inlineRefs, readSql, renderSql } from '../functions/dialect/sqlText.ts';
import { measureQueries, type MeasureQuery } from '../functions/kpis/measure.ts';
import { parsePeriod, periodFromMonths } from '../functions/kpis/period.ts';
import { generateSampleCompany } from '../functions/sample/demoCompany.ts';
import { runStages } from '../functions/stages/index.ts';
import { kpiMonthlyRowsSql, periodsParams, registerLake, sourceParams } from '../functions/stages/lake.ts';

const tickets = Number(process.env.KPI_TICKETS ?? 200000);
const months = Number(process.env.KPI_MONTHS ?? 13);
const catalog = process.env.KPI_CATALOG === '1';
const repeat = Number(process.env.KPI_REPEAT ?? 1);
const base = process.env.KPI_BASE;
const explain = process.env.KPI_EXPLAIN === '1';
const cpu = process.env.KPI_CPU === '1';
const only = process.env.KPI_QUERIES?.split(',');
const endMonth = '2026-10';
const dir = path.resolve('.bench', `kpi-${catalog ? 'catalog' : 'tickets'}-${months}m-${tickets}`);

const configFile = path.join(dir, 'pulse.config.json');
if (!existsSync(path.join(dir, 'built'))) {
  await rm(dir, { recursive: true, force: true });
  const perMonth = Math.round(tickets / months);
  await generateSampleCompany({
    outDir: path.join(dir, 'exports'),
    months,
    ticketsPerMonth: perMonth,
    seed: 1,
    endMonth,
  });
  await writeDemoConfig(dir, 'UTC');
}
const loaded = await loadConfig(configFile);
if (!catalog) loaded.config.sources = loaded.config.sources.filter((s) => s.type === 'csv' && s.entity === 'tickets');
const ctx = await createLocalContext(loaded, parsePeriod(endMonth), { quiet: true });
if (!existsSync(path.join(dir, 'built'))) {
  await runStages(ctx, ['extract', 'curate', 'marts']);
  execFileSync('touch', [path.join(dir, 'built')]);
}
await registerLake(ctx);
const engine = ctx.engine as DuckDbEngine;
const lakeMonths = (await engine.query(`select distinct month from tickets_created order by month`)).map((r) =>
  String(r.month),
);
const params = {
  ...periodsParams(
    ctx.config,
    lakeMonths.map((m) => periodFromMonths([m])),
  ),
  ...sourceParams(ctx.config),
};

/** A query's kpi_monthly rows, as the marts stage selects them, from the given text of the query. */
const rowsSql = (query: MeasureQuery, text: string) => kpiMonthlyRowsSql(query, renderSql(text, params));

async function timed(table: string, sql: string): Promise<number> {
  const start = performance.now();
  await engine.createTable(table, sql);
  return (performance.now() - start) / 1000;
}

const seconds = (runs: number[]) => {
  const sorted = [...runs].sort((a, b) => a - b);
  return `min ${sorted[0]!.toFixed(2)} s, median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} s`;
};

console.log(
  `${tickets} tickets over ${months} months (${catalog ? 'every entity' : 'tickets only'}), ` +
    `${lakeMonths.length} periods; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
/** The CPU seconds DuckDB spent on a query, on all its threads (its profile's cpu_time). */
async function cpuSeconds(sql: string): Promise<string> {
  const [row] = await engine.query(`explain (analyze, format json) ${sql}`);
  return `, cpu ${(JSON.parse(String(row!.explain_value)) as { cpu_time: number }).cpu_time.toFixed(2)} s`;
}

for (const query of measureQueries) {
  const name = path.basename(query.file, '.sql');
  if (only && !only.includes(name)) continue;
  const sql = rowsSql(query, readSql(query.file));
  const baseSql = base
    ? rowsSql(query, inlineRefs(execFileSync('git', ['show', `${base}:sql/${query.file}`], { encoding: 'utf8' })))
    : undefined;
  const runs: number[] = [];
  const baseRuns: number[] = [];
  for (let i = 0; i < repeat; i += 1) {
    runs.push(await timed('bench_new', sql));
    if (baseSql) baseRuns.push(await timed('bench_base', baseSql));
  }
  const count = Number((await engine.query('select count(*) as n from bench_new'))[0]!.n);
  let line = `${name.padEnd(14)} ${String(count).padStart(7)} rows  ${seconds(runs)}${cpu ? await cpuSeconds(sql) : ''}`;
  if (baseSql) {
    const [{ onlyNew, onlyBase }] = (await engine.query(`select
        (select count(*) from (select * from bench_new except all select * from bench_base) as d) as "onlyNew",
        (select count(*) from (select * from bench_base except all select * from bench_new) as d) as "onlyBase"`)) as [
      { onlyNew: number; onlyBase: number },
    ];
    const baseCpu = cpu ? await cpuSeconds(baseSql) : '';
    line += `  | ${base}: ${seconds(baseRuns)}${baseCpu}  | rows only in new ${onlyNew}, only in ${base} ${onlyBase}`;
  }
  console.log(line);
  if (explain) console.log((await engine.query(`explain analyze ${sql}`)).map((r) => r.explain_value).join('\n'));
}
await engine.close();
