import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultMemoryLimit, DuckDbEngine } from '../../functions/adapters/local/duckdbEngine.ts';
import { FolderStore } from '../../functions/adapters/local/folderStore.ts';
import { spillPrefix } from '../../functions/model/lakeKeys.ts';

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
});
