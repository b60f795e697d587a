/**
 * `npx tsx bench/quarter.ts`: evaluate's seconds for a quarter on a generated lake of every
 * entity (docs/design.md, "Quarters and ranges"). The lake (13 months to 2026-09,
 * BENCH_QUARTER_PER_MONTH tickets a month, 20,000 by default: 260k tickets) is built once under
 * .bench/quarter-<per month>/ and reused; evaluate then runs BENCH_QUARTER_RUNS times (3) for
 * 2026-Q3 and each run's wall and CPU seconds are printed with their medians, and the KPI queries it
 * sent over the curated rows.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { writeDemoConfig } from '../functions/cli/demo.ts';
import { createLocalContext } from '../functions/cli/wiring.ts';
import { loadConfig } from '../functions/config/load.ts';
import { readSql } from '../functions/dialect/sqlText.ts';
import { measureQueries } from '../functions/kpis/measure.ts';
import { parsePeriod } from '../functions/kpis/period.ts';
import { generateSampleCompany } from '../functions/sample/demoCompany.ts';
import { evaluate } from '../functions/stages/evaluate.ts';
import { runStages } from '../functions/stages/index.ts';

const perMonth = Number(process.env.BENCH_QUARTER_PER_MONTH ?? 20000);
const runs = Number(process.env.BENCH_QUARTER_RUNS ?? 3);
const dir = path.resolve('.bench', `quarter-${perMonth}`);
const built = existsSync(path.join(dir, 'lake', 'marts'));
if (!built)
  await generateSampleCompany({
    outDir: path.join(dir, 'exports'),
    months: 13,
    ticketsPerMonth: perMonth,
    seed: 1,
    endMonth: '2026-09',
    timezone: 'UTC',
  });
const loaded = await loadConfig(built ? path.join(dir, 'pulse.config.json') : await writeDemoConfig(dir, 'UTC'));
const ctx = await createLocalContext(loaded, parsePeriod('2026-Q3'), { quiet: true });
if (!built) await runStages(ctx, ['extract', 'curate', 'marts']);
// Each KPI query starts with its header comment: a statement carrying one ran over the curated rows.
const headers = measureQueries.map(({ file }) => ({ file, header: readSql(file).split('\n')[0]! }));
const seconds: number[] = [];
// CPU seconds (DuckDB's threads are in the process) say more than wall time on a shared machine.
const cpuSeconds: number[] = [];
let queried: string[] = [];
for (let run = 0; run < runs; run += 1) {
  const sent: string[] = [];
  const query = ctx.engine.query.bind(ctx.engine);
  ctx.engine.query = (sql, ...rest) => {
    for (const { file, header } of headers) if (sql.includes(header)) sent.push(file);
    return query(sql, ...rest);
  };
  const started = performance.now();
  const cpu = process.cpuUsage();
  await evaluate(ctx);
  seconds.push((performance.now() - started) / 1000);
  const used = process.cpuUsage(cpu);
  cpuSeconds.push((used.user + used.system) / 1e6);
  ctx.engine.query = query;
  queried = sent;
}
await ctx.engine.close();
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const listed = (values: number[]) =>
  `${values.map((s) => s.toFixed(2)).join(', ')} s (median ${median(values).toFixed(2)} s)`;
console.log(`evaluate 2026-Q3, ${13 * perMonth} tickets: wall ${listed(seconds)}; CPU ${listed(cpuSeconds)}`);
console.log(`KPI queries over the curated rows per evaluate: ${queried.length} (${queried.join(', ')})`);
