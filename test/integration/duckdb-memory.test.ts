import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultMemoryLimit, DuckDbEngine } from '../../functions/adapters/local/duckdbEngine.ts';
import { FolderStore } from '../../functions/adapters/local/folderStore.ts';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { loadConfig } from '../../functions/config/load.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import { spillPrefix, workPrefix } from '../../functions/model/lakeKeys.ts';

const lake = mkdtempSync(path.join(tmpdir(), 'pulse-memory-'));
afterAll(() => rmSync(lake, { recursive: true, force: true }));

describe('the local engine in bounded memory (issue 22)', () => {
  it('takes half the machine by default, not DuckDB 80%', async () => {
    const engine = await DuckDbEngine.open(new FolderStore(lake), { threads: 1 });
    try {
      const [row] = await engine.query("select current_setting('memory_limit') as limit");
      const mib = Math.floor(totalmem() / 2 ** 20 / 2);
      expect(defaultMemoryLimit()).toBe(`${mib}MiB`);
      // DuckDB prints the limit in its own units (e.g. "11.7 GiB"): within 1% of half the machine.
      const [, amount, unit] = /^([\d.]+) (MiB|GiB)$/.exec(String(row!.limit))!;
      const shown = Number(amount) * (unit === 'GiB' ? 1024 : 1);
      expect(Math.abs(shown - mib) / mib).toBeLessThan(0.01);
    } finally {
      await engine.close();
    }
  });

  it('spills what does not fit under the lake scratch, and finishes a sort larger than its limit', async () => {
    const spill = new FolderStore(lake).locate(spillPrefix);
    const engine = await DuckDbEngine.open(new FolderStore(lake), {
      threads: 1,
      memoryLimit: '64MiB',
      spillDirectory: spill,
    });
    try {
      const [setting] = await engine.query("select current_setting('temp_directory') as dir");
      expect(setting!.dir).toBe(spill);
      // 1.5 M rows of 100-character strings (~150 MB) ordered by a random key: far past 64 MiB.
      await engine.run(
        'create temp table ordered as select i, repeat(md5(i::varchar), 3) || md5((i * 7)::varchar)[1:4] as s ' +
          'from range(1500000) t(i) order by hash(i)',
      );
      const [count] = await engine.query('select count(*) as n, count(distinct i) as d from ordered');
      expect(Number(count!.n)).toBe(1_500_000);
      expect(Number(count!.d)).toBe(1_500_000);
      const [spilled] = await engine.query('select coalesce(sum(size), 0) as bytes from duckdb_temporary_files()');
      expect(Number(spilled!.bytes)).toBeGreaterThan(0);
      expect(existsSync(spill)).toBe(true);
    } finally {
      await engine.close();
    }
  });

  it('creates no spill folder when everything fits (only its parent, the empty scratch)', async () => {
    const quiet = mkdtempSync(path.join(tmpdir(), 'pulse-memory-quiet-'));
    try {
      const store = new FolderStore(quiet);
      const engine = await DuckDbEngine.open(store, { threads: 1, spillDirectory: store.locate(spillPrefix) });
      await engine.query('select sum(i) as s from range(1000) t(i)');
      await engine.close();
      expect(readdirSync(quiet)).toEqual(['_scratch']);
      expect(readdirSync(path.join(quiet, '_scratch'))).toEqual([]);
    } finally {
      rmSync(quiet, { recursive: true, force: true });
    }
  });

  it('holds a landed export and its validated rows in Parquet under the lake scratch, not in its memory', async () => {
    // prepare: 400,000 rows of ~40 characters (~16 MB of text), each holding its own row number
    const dir = mkdtempSync(path.join(tmpdir(), 'pulse-memory-work-'));
    const rows = 400_000;
    const lines = ['seq,pad'];
    for (let i = 1; i <= rows; i += 1) lines.push(`${i},${'x'.repeat(32)}`);
    writeFileSync(path.join(dir, 'export.csv'), `${lines.join('\n')}\n`);
    const store = new FolderStore(dir);
    const engine = await DuckDbEngine.onLake(store, { threads: 2 });
    const work = store.locate(workPrefix);
    const files = () => readdirSync(work, { recursive: true }).filter((f) => String(f).endsWith('.parquet'));
    try {
      // act: as curate validates a part (the landed export, then its validated rows)
      const layout = { header: ['seq', 'pad'], delimiter: ',', skipLines: 1, newline: '\n' as const };
      const part = { key: 'export.csv', format: 'csv' as const, unit: 'u', name: 'export.csv', landing: 'b' };
      await engine.registerLanded({ ...part, layout: { ...layout, columns: { id: 0, pad: 1 } } }, ['id', 'pad']);
      // The export is copied on one thread (in order, streaming); the engine then has its two again.
      const [threads] = await engine.query("select current_setting('threads') as n");
      expect(Number(threads!.n)).toBe(2);
      await engine.createTable('validated_0', 'select _row, id, upper(pad) as pad from landed');
      // assess: the rows are all there, in the file's order, and DuckDB holds next to none of them
      const [check] = await engine.query(
        'select count(*) as n, count_if(cast(id as bigint) <> _row) as misplaced from validated_0',
      );
      expect(check).toEqual({ n: rows, misplaced: 0 });
      const [held] = await engine.query('select coalesce(sum(memory_usage_bytes), 0) as bytes from duckdb_memory()');
      // An in-memory table of the text alone would hold its ~16 MB; DuckDB's own blocks stay under 8 MB.
      expect(Number(held!.bytes)).toBeLessThan(8 * 2 ** 20);
      const [tables] = await engine.query('select count(*) as n from duckdb_tables()');
      expect(tables!.n).toBe(0);
      expect(files()).toHaveLength(2);
      // Dropped as the stages drop their tables: the view and its file go.
      await engine.query('drop table validated_0');
      await engine.releaseLanded();
      expect(files()).toHaveLength(0);
      await expect(engine.query('select 1 from validated_0')).rejects.toThrow(/validated_0/);
    } finally {
      await engine.close();
    }
    // The engine's own work folder goes with it.
    expect(readdirSync(work)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('spills and writes its work tables under the lake scratch in a local run, within the configured limit', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pulse-memory-run-'));
    cpSync(path.resolve(import.meta.dirname, '../fixtures/golden'), dir, { recursive: true });
    const file = path.join(dir, 'pulse.config.json');
    const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...config, lake: './lake', duckdb: { memoryLimit: '300MiB' } }));
    const ctx = await createLocalContext(await loadConfig(file), parsePeriod('2026-10'), { quiet: true });
    try {
      const [row] = await ctx.engine.query(
        "select current_setting('temp_directory') as spill, current_setting('memory_limit') as limit",
      );
      expect(row).toEqual({ spill: path.join(dir, 'lake', spillPrefix), limit: '300.0 MiB' });
      await ctx.engine.createTable('work', 'select 1 as x');
      expect(readdirSync(path.join(dir, 'lake', workPrefix))).toHaveLength(1);
    } finally {
      await ctx.engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('removes the work folders a killed engine left, never a running one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pulse-memory-sweep-'));
    const work = path.join(dir, workPrefix);
    // A process that has ended: its pid names no running process (barring reuse, which keeps the folder).
    const ended = spawnSync(process.execPath, ['-e', '']).pid;
    for (const pid of [ended, process.pid]) {
      mkdirSync(path.join(work, `pulse-engine-${pid}-abc`), { recursive: true });
      writeFileSync(path.join(work, `pulse-engine-${pid}-abc`, 'validated_0-1.parquet'), 'PAR1');
    }
    const engine = await DuckDbEngine.onLake(new FolderStore(dir), { threads: 1 });
    await engine.close();
    expect(readdirSync(work)).toEqual([`pulse-engine-${process.pid}-abc`]);
    rmSync(dir, { recursive: true, force: true });
  });
});
