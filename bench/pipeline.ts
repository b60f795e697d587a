/**
 * npm run bench: the local pipeline on generated exports against DuckDB alone doing the same
 * CSV → Parquet conversion and the same aggregates, in one process run, so Pulse's overhead is
 * a ratio. Also the peak RSS during extract. `BENCH_SIZES=100000,1000000` (total tickets over
 * 13 months) chooses the sizes; results go to .bench/results.json as well.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { writeDemoConfig } from '../functions/cli/demo.ts';
import { createLocalContext } from '../functions/cli/wiring.ts';
import { loadConfig } from '../functions/config/load.ts';
import { parsePeriod } from '../functions/kpis/period.ts';
import { generateSampleCompany } from '../functions/sample/demoCompany.ts';
import { runStages, type StageName } from '../functions/stages/index.ts';

const sizes = (process.env.BENCH_SIZES ?? '100000,1000000').split(',').map(Number);
const months = 13;
const endMonth = '2026-10';
const root = path.resolve('.bench');

function sampleRss() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  return () => {
    clearInterval(timer);
    return Math.max(peak, process.memoryUsage().rss);
  };
}

async function duckdbAlone(exports: string, out: string): Promise<number> {
  const started = performance.now();
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run("set TimeZone = 'UTC'");
  const csv = path.join(exports, 'tickets.csv');
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  // The same work by hand: typed read, latest version per id, Parquet by month, then the aggregates.
  await c.run(`create view raw as select * from read_csv('${csv}', header = true, ignore_errors = true, timestampformat = '%Y-%m-%dT%H:%M:%SZ')`);
  await c.run(`copy (
      select *, strftime(timezone('UTC', created_at::timestamptz), '%Y-%m') as month
      from (select *, row_number() over (partition by id order by updated_at desc) as rn from raw) where rn = 1 and not coalesce(is_deleted, false)
    ) to '${out}' (format parquet, compression zstd, partition_by (month), overwrite_or_ignore)`);
  await c.run(`create view t as select * from read_parquet('${out}/**/*.parquet', hive_partitioning = true)`);
  await c.runAndReadAll(`select month, channel, count(*), count_if(is_escalated),
      quantile_cont(epoch(first_response_at) - epoch(created_at), 0.5), quantile_cont(epoch(first_response_at) - epoch(created_at), 0.9)
      from t where first_response_at >= created_at group by all`);
  await c.runAndReadAll(`select strftime(solved_at, '%Y-%m') as m, channel, count(*), quantile_cont(epoch(solved_at) - epoch(created_at), 0.5),
      avg(case when agent_replies < 2 then 1 else 0 end), avg(case when reopens > 0 then 1 else 0 end) from t where solved_at >= created_at group by all`);
  c.closeSync();
  db.closeSync();
  return (performance.now() - started) / 1000;
}

interface Result {
  tickets: number;
  generateSeconds: number;
  stages: Record<string, number>;
  pulseSeconds: number;
  duckdbSeconds: number;
  ratio: number;
  extractPeakRssMb: number;
  csvMb: number;
}

const results: Result[] = [];
for (const tickets of sizes) {
  const dir = path.join(root, `t${tickets}`);
  await rm(dir, { recursive: true, force: true });
  let started = performance.now();
  const generated = await generateSampleCompany({ outDir: path.join(dir, 'exports'), months, ticketsPerMonth: Math.round(tickets / months), seed: 1, endMonth, timezone: 'UTC' });
  const generateSeconds = (performance.now() - started) / 1000;
  const { statSync } = await import('node:fs');
  const csvMb = statSync(generated.files.tickets!.path).size / 2 ** 20;
  const configFile = await writeDemoConfig(dir, 'UTC');
  const loaded = await loadConfig(configFile);
  loaded.config.sources = loaded.config.sources.filter((s) => s.entity === 'tickets');
  const ctx = await createLocalContext(loaded, parsePeriod(endMonth), { quiet: true });
  const stages: Record<string, number> = {};
  const stop = sampleRss();
  started = performance.now();
  const [extracted] = await runStages(ctx, ['extract']);
  const extractPeakRssMb = stop() / 2 ** 20;
  stages.extract = extracted!.seconds;
  for (const outcome of await runStages(ctx, ['curate', 'marts', 'evaluate'] as StageName[])) stages[outcome.stage] = outcome.seconds;
  const pulseSeconds = (performance.now() - started) / 1000;
  await ctx.engine.close();
  const duckdbSeconds = await duckdbAlone(path.join(dir, 'exports'), path.join(dir, 'duckdb-alone'));
  results.push({ tickets: generated.tickets, generateSeconds, stages, pulseSeconds, duckdbSeconds, ratio: pulseSeconds / duckdbSeconds, extractPeakRssMb, csvMb });
}

const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
console.log(line(['tickets', 'tickets.csv MB', 'extract s', 'curate s', 'marts s', 'evaluate s', 'Pulse s', 'DuckDB alone s', 'ratio', 'extract peak RSS MB']));
console.log(line(Array(10).fill('---')));
for (const r of results) {
  console.log(line([r.tickets, r.csvMb.toFixed(0), r.stages.extract!.toFixed(1), r.stages.curate!.toFixed(1), r.stages.marts!.toFixed(1), r.stages.evaluate!.toFixed(1), r.pulseSeconds.toFixed(1), r.duckdbSeconds.toFixed(1), `${r.ratio.toFixed(2)}×`, r.extractPeakRssMb.toFixed(0)]));
}
await mkdir(root, { recursive: true });
await writeFile(path.join(root, 'results.json'), `${JSON.stringify({ at: new Date().toISOString(), node: process.version, results }, null, 2)}\n`);
