import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { bundleAssets, bundleBanner, bundleTarget, buildStageBundle } from '../../infra/lambdaBundle.ts';
import { describe, expect, it } from 'vitest';
import { stageList } from '../../functions/stages/list.ts';

/**
 * Each stage's Lambda bundle, built the way the stack's NodejsFunction builds it (esbuild, ESM,
 * Node.js 24, the runtime's AWS SDK left out): it builds, it holds no DuckDB and no local
 * adapter, and it stays small enough to start fast.
 */
const root = path.resolve(import.meta.dirname, '../..');

describe('the Lambda bundles', () => {
  // Measured: 0.7-0.8 MB each, render 9.1 MB (MJML, Vega, ExcelJS); gzipped 0.17-0.19 MB and 2.9 MB.
  const limit = (stage: string) => (stage === 'render' ? 16 : 2) * 1024 ** 2;
  it.each(stageList.map((s) => s.name))(
    '%s builds without DuckDB or a local adapter, and small (2 MB; render 16 MB)',
    async (stage) => {
      const { bytes, inputs } = await buildStageBundle(stage);
      expect(inputs.filter((i) => i.includes('@duckdb') || i.includes('functions/adapters/local/'))).toEqual([]);
      expect(inputs).toContain(`functions/handlers/${stage}.ts`);
      expect(bytes).toBeGreaterThan(10_000);
      expect(bytes).toBeLessThan(limit(stage));
    },
    60_000,
  );

  it("keeps the names of error classes, which the owners' alerts and the logs print", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pulse-bundle-'));
    try {
      await buildStageBundle('curate', dir);
      const text = readFileSync(path.join(dir, 'index.mjs'), 'utf8');
      for (const name of ['StageError', 'QueryError', 'OutOfTimeError']) expect(text).toContain(`"${name}"`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the charts, bundled as the render Lambda is', () => {
  it('draw a PNG from a folder with no node_modules, with the assets copied beside the bundle', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pulse-charts-'));
    try {
      await build({
        entryPoints: [path.join(root, 'functions/report/charts.ts')],
        outfile: path.join(dir, 'index.mjs'),
        bundle: true,
        format: 'esm',
        platform: 'node',
        target: bundleTarget,
        banner: { js: bundleBanner },
        logLevel: 'silent',
      });
      for (const asset of bundleAssets('render')) copyFileSync(asset.from, path.join(dir, asset.to));
      const script = `const { drawChart } = await import(${JSON.stringify(path.join(dir, 'index.mjs'))});
        const { png } = await drawChart({ data: { values: [{ m: '2026-09', v: 3 }, { m: '2026-10', v: 5 }] }, mark: 'bar', encoding: { x: { field: 'm', type: 'ordinal' }, y: { field: 'v', type: 'quantitative' } }, width: 120, height: 60 });
        process.stdout.write(png.length + ' ' + png.subarray(0, 8).toString('hex'));`;
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
        cwd: dir,
      });
      const [bytes, magic] = stdout.split(' ');
      expect(magic).toBe('89504e470d0a1a0a');
      expect(Number(bytes)).toBeGreaterThan(1_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
