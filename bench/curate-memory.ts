/**
 * Curate alone, its peak RSS and seconds, on a generated tickets-only lake (issue 22, "Bounded
 * memory"): `tsx bench/curate-memory.ts [tickets] [memoryLimit]` (default 300000 and 1GiB; `default` leaves
 * the engine's own, half the machine).
 * It generates and extracts once (kept under .bench/curate-<tickets>/), then runs curate on a
 * fresh copy of the extracted lake in a child process under GNU time, and prints the child's
 * peak RSS, its seconds, the most DuckDB spilled at once, the load average, and a digest of the
 * rows curate wrote and of its rejects and counts, so two versions of curate can be compared.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { writeDemoConfig } from '../functions/cli/demo.ts';
import { createLocalContext } from '../functions/cli/wiring.ts';
import { loadConfig } from '../functions/config/load.ts';
import { parsePeriod } from '../functions/kpis/period.ts';
import { generateSampleCompany } from '../functions/sample/demoCompany.ts';
import { runStages } from '../functions/stages/index.ts';
import type { QueryEngine } from '../functions/ports/queryEngine.ts';

const endMonth = '2026-10';

/** A lake's config with only the tickets CSV source and the given memory limit. */
async function ticketsContext(dir: string, memoryLimit?: string) {
  const loaded = await loadConfig(path.join(dir, 'pulse.config.json'));
  loaded.config.sources = loaded.config.sources.filter((s) => s.type === 'csv' && s.entity === 'tickets');
  if (memoryLimit && memoryLimit !== 'default') loaded.config.duckdb.memoryLimit = memoryLimit;
  return createLocalContext(loaded, parsePeriod(endMonth), { quiet: true });
}

/**
 * With CURATE_TRACE=1, each engine call on stderr as it ends: its seconds, the process's RSS and
 * what DuckDB's buffer manager holds (duckdb_memory()), and temporary storage on disk.
 */
function trace(engine: QueryEngine) {
  const query = engine.query.bind(engine);
  const held = async () => {
    const [m] = await query(
      'select sum(memory_usage_bytes) as mem, sum(temporary_storage_bytes) as tmp from duckdb_memory()',
    );
    return `duckdb ${(Number(m?.mem) / 2 ** 20).toFixed(0)} MB, on disk ${(Number(m?.tmp) / 2 ** 20).toFixed(0)} MB`;
  };
  // The peak RSS during each call, sampled while DuckDB works on its own threads.
  let peak = 0;
  setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20).unref();
  process.stderr.write(`start: rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB\n`);
  const calls = ['registerLanded', 'createTable', 'createView', 'query', 'writeParquet', 'releaseLanded'] as const;
  for (const name of calls) {
    const call = (engine[name] as (...args: unknown[]) => Promise<unknown>).bind(engine);
    (engine as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      const start = performance.now();
      peak = 0;
      if (process.env.CURATE_DUMP && name === 'createTable')
        writeFileSync(`${process.env.CURATE_DUMP}/${args[0]}.sql`, String(args[1]));
      const result = await call(...args);
      const what = String(args[0]).replace(/\s+/g, ' ').slice(0, 90);
      const rss = `${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} (peak ${(peak / 2 ** 20).toFixed(0)})`;
      const seconds = ((performance.now() - start) / 1000).toFixed(2);
      process.stderr.write(`${name} ${seconds} s, rss ${rss} MB, ${await held()}: ${what}\n`);
      return result;
    };
  }
}

/** The child: curate, and its seconds on stdout. */
async function curateOnly(dir: string, memoryLimit: string) {
  const ctx = await ticketsContext(dir, memoryLimit);
  if (process.env.CURATE_TRACE) trace(ctx.engine);
  const start = performance.now();
  await runStages(ctx, ['curate']);
  process.stdout.write(`${JSON.stringify({ seconds: (performance.now() - start) / 1000 })}\n`);
  await ctx.engine.close();
}

async function folderBytes(dir: string): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []))
    if (entry.isFile()) bytes += (await stat(path.join(entry.parentPath, entry.name)).catch(() => ({ size: 0 }))).size;
  return bytes;
}

/** Curated rows (order-free: xor of each row's hash, per month), rejects' bytes and the counts. */
async function digest(lake: string) {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const curated = await c.runAndReadAll(
    `select month, count(*) as n, bit_xor(hash(t)) as h from read_parquet('${lake}/curated/tickets/**/*.parquet',
     hive_partitioning = true) as t group by all order by all`,
  );
  const rows = curated.getRows().map((r) => r.map(String).join(' '));
  c.closeSync();
  db.closeSync();
  const state = JSON.parse(await readFile(path.join(lake, 'state/helpdesk/tickets.json'), 'utf8').catch(() => '{}'));
  const counts = Object.values(state.units ?? {}).map((u) => {
    const { rowsRead, rowsAccepted, rowsRejected, rejectedByReason, fieldIssues } = u as Record<string, unknown>;
    return { rowsRead, rowsAccepted, rowsRejected, rejectedByReason, fieldIssues };
  });
  return { curated: rows, rejectsBytes: await folderBytes(path.join(lake, 'rejects')), counts };
}

async function main() {
  const tickets = Number(process.argv[2] ?? 300_000);
  const memoryLimit = process.argv[3] ?? '1GiB';
  const root = path.resolve('.bench', `curate-${tickets}`);
  const extracted = path.join(root, 'lake-extracted');
  if (!existsSync(extracted)) {
    await rm(root, { recursive: true, force: true });
    await generateSampleCompany({
      outDir: path.join(root, 'exports'),
      months: 13,
      ticketsPerMonth: Math.round(tickets / 13),
      seed: 1,
      endMonth,
      timezone: 'UTC',
    });
    await writeDemoConfig(root, 'UTC');
    const ctx = await ticketsContext(root);
    await runStages(ctx, ['extract']);
    await ctx.engine.close();
    await cp(path.join(root, 'lake'), extracted, { recursive: true });
  }
  const lake = path.join(root, 'lake');
  await rm(lake, { recursive: true, force: true });
  await cp(extracted, lake, { recursive: true });
  const timed = path.join(root, 'time.txt');
  const child = spawn(
    '/usr/bin/time',
    ['-f', '%M', '-o', timed, process.execPath, '--import', 'tsx', import.meta.filename, '--curate', root, memoryLimit],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  // The spill folder sampled as curate runs: the most DuckDB held on disk at once.
  let spilled = 0;
  const spill = path.join(lake, '_scratch/spill');
  const sampler = setInterval(() => void folderBytes(spill).then((b) => (spilled = Math.max(spilled, b))), 250);
  const loadBefore = loadavg()[0]!;
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`curate exited with ${code}`);
  const peakRssMb = Number((await readFile(timed, 'utf8')).trim().split('\n').at(-1)) / 1024;
  const { seconds } = JSON.parse(out.trim().split('\n').at(-1)!) as { seconds: number };
  const git = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
  console.log(
    `curate at ${tickets} tickets, memory_limit ${memoryLimit} (${git}): peak RSS ${peakRssMb.toFixed(0)} MB, ` +
      `${seconds.toFixed(1)} s, spill peak ${(spilled / 2 ** 20).toFixed(0)} MB, ` +
      `load ${loadBefore.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}`,
  );
  console.log(JSON.stringify(await digest(lake)));
}

if (process.argv[2] === '--curate') await curateOnly(process.argv[3]!, process.argv[4]!);
else await main();
