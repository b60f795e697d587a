/**
 * npm run bench, in one process run:
 *  1. the ticket pipeline (13 months of tickets, 100k, 1M and 10M in all) against DuckDB
 *     alone doing the same CSV → Parquet conversion and the same aggregates, so Pulse's overhead
 *     is a ratio; the peak RSS during extract;
 *  2. the full catalog (every entity) at 1M tickets a month over 2 months: each stage's time, and
 *     the Parquet files and bytes each KPI query reads for one month against the whole lake.
 * BENCH_SIZES=100000,1000000 and BENCH_CATALOG_PER_MONTH=1000000 / BENCH_CATALOG_MONTHS=2 change
 *  3. each stage's Lambda bundle, built as the stack builds it: its size, gzipped and with its
 *     assets, and whether DuckDB is in it (none may be).
 *  4. how long the CLI takes to start (--help, check-config).
 *  5. `pulse demo`, once, through the CLI in a temp folder: its seconds and peak RSS.
 * It prints one table of issue 22's targets (bench/targets.ts): each size's stage seconds, shares
 * and peak RSS, the ratios to DuckDB alone, the re-run, and each target met or its gap.
 * `npm run bench -- --quick` runs 100k tickets and a small catalog; the full run 100k, 1M and
 * 10M. BENCH_SIZES=… and BENCH_CATALOG_PER_MONTH / BENCH_CATALOG_MONTHS change the sizes;
 * BENCH_PARTS=ratio, catalog, bundles, cli or demo runs some parts; BENCH_MEMORY_LIMIT=1.5GiB runs
 * the local engine with that memory limit (the config's duckdb.memoryLimit) instead of its
 * default. Results also go to .bench/results.json.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { writeDemoConfig } from '../functions/cli/demo.ts';
import { createLocalContext } from '../functions/cli/wiring.ts';
import { loadConfig } from '../functions/config/load.ts';
import { parsePeriod } from '../functions/kpis/period.ts';
import { generateSampleCompany } from '../functions/sample/demoCompany.ts';
import { readSql, renderSql } from '../functions/dialect/sqlText.ts';
import { globLiteral, type DuckDbEngine } from '../functions/adapters/local/duckdbEngine.ts';
import { tickets } from '../functions/model/tickets.ts';
import { runStages } from '../functions/stages/index.ts';
import { stageList } from '../functions/stages/list.ts';
import { buildStageBundle } from '../infra/lambdaBundle.ts';
import { kpiQueries, registerLake, sourceParams, sqlParams } from '../functions/stages/lake.ts';
import type { StageContext } from '../functions/stages/context.ts';
import { benchedStages, sizeTable, targetTable, type DemoRun, type SizeRun } from './targets.ts';

// --quick: what CI can afford (100k tickets, a small catalog); the full run goes to 10M.
const quick = process.argv.includes('--quick');
const parts = (process.env.BENCH_PARTS ?? 'ratio,catalog,bundles,cli,demo').split(',');
const ratioSizes = (process.env.BENCH_SIZES ?? (quick ? '100000' : '100000,1000000,10000000')).split(',').map(Number);
const catalogMonths = Number(process.env.BENCH_CATALOG_MONTHS ?? 2);
const catalogPerMonth = Number(process.env.BENCH_CATALOG_PER_MONTH ?? (quick ? 50000 : 1000000));
const memoryLimit = process.env.BENCH_MEMORY_LIMIT;
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

async function duckdbAlone(exports: string, out: string): Promise<{ loadSeconds: number; seconds: number }> {
  const started = performance.now();
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run("set TimeZone = 'UTC'");
  const csv = path.join(exports, 'tickets.csv');
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  // The same work by hand: typed read, latest version per id, Parquet by month, then the aggregates.
  const types = tickets.columns
    .map((col) => `'${col.name}': '${col.sqlType === 'timestamp' ? 'timestamptz' : col.sqlType}'`)
    .join(', ');
  // A validated, typed read that keeps its rejects (DuckDB's own store_rejects), as extract + curate do.
  await c.run(
    `create view raw as select * from read_csv('${globLiteral(csv)}', header = true, store_rejects = true, columns = {${types}})`,
  );
  await c.run(`copy (
      select *, strftime(timezone('UTC', created_at::timestamptz), '%Y-%m') as month
      from (select *, row_number() over (partition by id order by updated_at desc) as rn from raw) where rn = 1 and not coalesce(is_deleted, false)
    ) to '${out}' (format parquet, compression zstd, partition_by (month), overwrite_or_ignore)`);
  const loadSeconds = (performance.now() - started) / 1000;
  await c.run(
    `create view t as select * from read_parquet('${globLiteral(out)}/**/*.parquet', hive_partitioning = true)`,
  );
  await c.runAndReadAll(`select month, channel, count(*), count_if(is_escalated),
      quantile_cont(epoch(first_response_at) - epoch(created_at), 0.5), quantile_cont(epoch(first_response_at) - epoch(created_at), 0.9), count_if(epoch(first_response_at) - epoch(created_at) <= 86400)
      from t where first_response_at >= created_at group by all`);
  await c.runAndReadAll(`select strftime(solved_at, '%Y-%m') as m, channel, count(*), quantile_cont(epoch(solved_at) - epoch(created_at), 0.5),
      avg(case when agent_replies < 2 then 1 else 0 end), avg(case when reopens > 0 then 1 else 0 end) from t where solved_at >= created_at group by all`);
  c.closeSync();
  db.closeSync();
  return { loadSeconds, seconds: (performance.now() - started) / 1000 };
}

async function parquetBytes(dir: string): Promise<{ files: number; bytes: number }> {
  const { readdir, stat } = await import('node:fs/promises');
  let files = 0;
  let bytes = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (!entry.isFile() || !entry.name.endsWith('.parquet')) continue;
    files += 1;
    bytes += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return { files, bytes };
}

/**
 * Partition pruning, shown: DuckDB's profile of each KPI query for one month lists the Parquet
 * files it read; their bytes against the whole lake's.
 */
async function pruning(ctx: StageContext, lake: string) {
  await registerLake(ctx);
  const engine = ctx.engine as DuckDbEngine;
  const params = { ...sqlParams(ctx.config, ctx.period), ...sourceParams(ctx.config) };
  const { stat } = await import('node:fs/promises');
  const perQuery: Record<string, { filesRead: number; bytesRead: number; partitions: string }> = {};
  for (const file of kpiQueries) {
    const names = await engine.filesRead(renderSql(readSql(file), params));
    let bytesRead = 0;
    // Which table and which month partitions each read file belongs to: the pruning, itemised.
    const tables = new Map<string, Set<string>>();
    for (const name of names) {
      bytesRead += (await stat(name)).size;
      const relative = path.relative(lake, name).split(path.sep);
      const table = relative.slice(0, 2).join('/');
      const month = relative.find((part) => part.startsWith('month='))?.slice('month='.length) ?? 'unpartitioned';
      tables.set(table, (tables.get(table) ?? new Set()).add(month));
    }
    const partitions = [...tables].map(([table, months]) => `${table}[${[...months].sort().join(',')}]`).join(' ');
    perQuery[file] = { filesRead: names.length, bytesRead, partitions };
  }
  const whole = await parquetBytes(lake);
  return { lakeFiles: whole.files, lakeBytes: whole.bytes, perQuery };
}

interface Result {
  kind: 'tickets only' | 'every entity';
  months: number;
  tickets: number;
  generateSeconds: number;
  stages: SizeRun['seconds'];
  /** extract → evaluate, the work DuckDB alone does too. */
  pulseSeconds: number;
  pruning: Awaited<ReturnType<typeof pruning>>;
  parquetMb: number;
  duckdbSeconds: number | null;
  ratio: number | null;
  /** DuckDB alone: the validated read, the dedupe and the Parquet by month (what extract + curate do). */
  duckdbLoadSeconds: number | null;
  loadRatio: number | null;
  extractPeakRssMb: number;
  /** The peak during extract above the process's RSS when extract started. */
  extractRssGrowthMb: number;
  /** Each stage's peak RSS, MB (the process's: DuckDB's memory is in it). */
  stagePeakRssMb: SizeRun['peakRssMb'];
  /** The same run again on unchanged inputs: seconds for extract through render. */
  rerunSeconds: number;
  /** Every entity: each audience's message.eml, bytes. */
  emailBytes: Record<string, number>;
  csvMb: number;
}

async function runCase(months: number, ticketsPerMonth: number, allSources: boolean): Promise<Result> {
  const dir = path.join(root, `${allSources ? 'catalog' : 'tickets'}-${months}m-${ticketsPerMonth}`);
  await rm(dir, { recursive: true, force: true });
  const started = performance.now();
  const generated = await generateSampleCompany({
    outDir: path.join(dir, 'exports'),
    months,
    ticketsPerMonth,
    seed: 1,
    endMonth,
    timezone: 'UTC',
  });
  const generateSeconds = (performance.now() - started) / 1000;
  const { statSync } = await import('node:fs');
  const csvMb = statSync(generated.files.tickets!.path).size / 2 ** 20;
  const configFile = await writeDemoConfig(dir, 'UTC');
  const loaded = await loadConfig(configFile);
  if (!allSources)
    loaded.config.sources = loaded.config.sources.filter((s) => s.type === 'csv' && s.entity === 'tickets');
  if (memoryLimit) loaded.config.duckdb = { ...loaded.config.duckdb, memoryLimit };
  const ctx = await createLocalContext(loaded, parsePeriod(endMonth), { quiet: true });
  // The process still holds the generator's garbage: extract's own memory is its peak above
  // what the process held when it started.
  const rssBeforeExtract = process.memoryUsage().rss;
  const stages = {} as Result['stages'];
  const stagePeakRssMb = {} as Result['stagePeakRssMb'];
  for (const stage of benchedStages) {
    const peak = sampleRss();
    const [outcome] = await runStages(ctx, [stage]);
    stagePeakRssMb[stage] = peak() / 2 ** 20;
    stages[stage] = outcome!.seconds;
  }
  const pulseSeconds = stages.extract + stages.curate + stages.marts + stages.evaluate;
  const extractPeakRssMb = stagePeakRssMb.extract;
  const extractRssGrowthMb = extractPeakRssMb - rssBeforeExtract / 2 ** 20;
  // Unchanged inputs: extract skips every file, curate has nothing new, the marts nothing to rebuild.
  const rerunStarted = performance.now();
  await runStages(ctx, [...benchedStages]);
  const rerunSeconds = (performance.now() - rerunStarted) / 1000;
  const emailBytes: Record<string, number> = {};
  if (allSources) {
    for (const audience of ctx.config.audiences)
      emailBytes[audience.name] = statSync(
        path.join(dir, 'lake', 'reports', endMonth, audience.name, 'message.eml'),
      ).size;
  }
  const prunedReads = await pruning(ctx, path.join(dir, 'lake'));
  const curatedTickets = await parquetBytes(path.join(dir, 'lake/curated/tickets'));
  await ctx.engine.close();
  // The baseline does the tickets' work only, so a ratio is only fair for the tickets-only runs.
  const alone = allSources ? null : await duckdbAlone(path.join(dir, 'exports'), path.join(dir, 'duckdb-alone'));
  const duckdbSeconds = alone?.seconds ?? null;
  return {
    kind: allSources ? 'every entity' : 'tickets only',
    months,
    tickets: generated.tickets,
    generateSeconds,
    stages,
    pulseSeconds,
    pruning: prunedReads,
    parquetMb: curatedTickets.bytes / 2 ** 20,
    duckdbSeconds,
    ratio: duckdbSeconds === null ? null : pulseSeconds / duckdbSeconds,
    duckdbLoadSeconds: alone?.loadSeconds ?? null,
    loadRatio: alone ? (stages.extract + stages.curate) / alone.loadSeconds : null,
    extractPeakRssMb,
    stagePeakRssMb,
    rerunSeconds,
    emailBytes,
    extractRssGrowthMb,
    csvMb,
  };
}

const results: Result[] = [];
if (parts.includes('ratio'))
  for (const total of ratioSizes) results.push(await runCase(13, Math.round(total / 13), false));
if (parts.includes('catalog')) results.push(await runCase(catalogMonths, catalogPerMonth, true));

const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
const demo = parts.includes('demo') ? await demoRun() : null;
const sizes: SizeRun[] = results.map((r) => ({
  kind: r.kind,
  tickets: r.tickets,
  seconds: r.stages,
  peakRssMb: r.stagePeakRssMb,
  duckdbSeconds: r.duckdbSeconds,
  duckdbLoadSeconds: r.duckdbLoadSeconds,
  rerunSeconds: r.rerunSeconds,
}));
if (results.length > 0 || demo) {
  console.log("Issue 22's targets (peak RSS is the process's, DuckDB's memory in it; shares are of the first run):");
  if (results.length > 0) console.log(`${sizeTable(sizes).join('\n')}\n`);
  console.log(targetTable(sizes, demo).join('\n'));
}
if (results.length > 0) {
  const mails = results.filter((r) => Object.keys(r.emailBytes).length > 0);
  for (const r of mails) {
    const eml = Object.entries(r.emailBytes).map(([a, b]) => `${a} ${(b / 1024).toFixed(0)} KB`);
    console.log(`\n${r.kind}, ${r.tickets} tickets: message.eml ${eml.join(', ')}`);
  }
  console.log(
    '\nKPI queries for one month: Parquet files and bytes the engine read (from its profile) against the whole lake:',
  );
  for (const r of results) {
    const mb = (b: number) => (b / 2 ** 20).toFixed(2);
    console.log(
      `${r.kind}, ${r.tickets} tickets over ${r.months} months: lake ${r.pruning.lakeFiles} Parquet files, ${mb(r.pruning.lakeBytes)} MB; curated tickets ${r.parquetMb.toFixed(1)} MB Parquet vs ${r.csvMb.toFixed(1)} MB CSV (${(r.csvMb / r.parquetMb).toFixed(1)}× smaller)`,
    );
    for (const [file, q] of Object.entries(r.pruning.perQuery)) {
      console.log(
        `  ${file.padEnd(24)} ${String(q.filesRead).padStart(4)} files  ${mb(q.bytesRead).padStart(8)} MB  (${((100 * q.bytesRead) / r.pruning.lakeBytes).toFixed(1)}% of the lake)`,
      );
      console.log(`    ${q.partitions}`);
    }
  }
}

interface BundleResult {
  stage: string;
  bytes: number;
  gzipBytes: number;
  assetBytes: number;
  duckdb: boolean;
}

/** Each stage's Lambda bundle as the stack builds it (infra/lambdaBundle.ts). */
async function bundleSizes(): Promise<BundleResult[]> {
  const out: BundleResult[] = [];
  for (const stage of stageList) {
    const dir = await mkdtemp(path.join(os.tmpdir(), `pulse-bundle-${stage.name}-`));
    try {
      const built = await buildStageBundle(stage.name, dir);
      const code = await readFile(path.join(dir, 'index.mjs'));
      out.push({
        stage: stage.name,
        bytes: built.bytes,
        gzipBytes: gzipSync(code).byteLength,
        assetBytes: built.assetBytes,
        duckdb: built.inputs.some((i) => i.includes('@duckdb')),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return out;
}

/** How long `pulse --help` and `pulse check-config` take to answer, as a user starts them (median of five). */
async function cliStart(): Promise<{ command: string; medianMs: number }[]> {
  const { execFileSync } = await import('node:child_process');
  execFileSync(process.execPath, ['bin/build-cli.mjs']);
  const commands = [['--help'], ['check-config', 'test/fixtures/golden/pulse.config.json']];
  return commands.map((args) => {
    const times = Array.from({ length: 5 }, () => {
      const start = performance.now();
      execFileSync(process.execPath, ['bin/pulse.js', ...args], { stdio: 'ignore' });
      return performance.now() - start;
    }).sort((a, b) => a - b);
    return { command: `pulse ${args.join(' ')}`, medianMs: Math.round(times[2]!) };
  });
}

/**
 * `pulse demo` as a user runs it (the esbuild CLI, in a temp folder), once: its wall seconds and
 * its peak RSS, read by GNU time where the machine has it.
 */
async function demoRun(): Promise<DemoRun> {
  const { execFileSync } = await import('node:child_process');
  const { existsSync } = await import('node:fs');
  execFileSync(process.execPath, ['bin/build-cli.mjs']);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pulse-bench-demo-'));
  const timed = path.join(dir, 'time.txt');
  const demo = [process.execPath, 'bin/pulse.js', 'demo', '--out', path.join(dir, 'demo'), '--json'];
  const gnuTime = existsSync('/usr/bin/time');
  try {
    const start = performance.now();
    if (gnuTime) execFileSync('/usr/bin/time', ['-f', '%M', '-o', timed, ...demo], { stdio: 'ignore' });
    else execFileSync(demo[0]!, demo.slice(1), { stdio: 'ignore' });
    const seconds = (performance.now() - start) / 1000;
    // GNU time's %M: the peak resident set in KB.
    const peakRssMb = gnuTime ? Number((await readFile(timed, 'utf8')).trim().split('\n').at(-1)) / 1024 : null;
    return { seconds, peakRssMb };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const bundles = parts.includes('bundles') ? await bundleSizes() : [];
const cli = parts.includes('cli') ? await cliStart() : [];
if (cli.length > 0) {
  console.log('\nCLI start (the esbuild build npm ci makes; median of 5):');
  for (const c of cli) console.log(`  ${c.command.padEnd(56)} ${c.medianMs} ms`);
}
if (bundles.length > 0) {
  const mb = (b: number) => (b / 2 ** 20).toFixed(2);
  console.log('\nLambda bundles (esbuild, ESM, minified, the AWS SDK left to the runtime):');
  console.log(line(['stage', 'index.mjs MB', 'gzipped MB', 'assets beside it MB', 'DuckDB in it']));
  console.log(line(Array(5).fill('---')));
  for (const b of bundles)
    console.log(line([b.stage, mb(b.bytes), mb(b.gzipBytes), mb(b.assetBytes), b.duckdb ? 'YES' : 'no']));
}
await mkdir(root, { recursive: true });
await writeFile(
  path.join(root, 'results.json'),
  `${JSON.stringify({ at: new Date().toISOString(), node: process.version, quick, results, demo, bundles, cli }, null, 2)}\n`,
);
