import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { stageList } from '../../functions/stages/list.ts';

/**
 * Each stage's Lambda bundle, built the way the stack's NodejsFunction builds it (esbuild, ESM,
 * Node.js 24, the runtime's AWS SDK left out): it builds, it holds no DuckDB and no local
 * adapter, and it stays small enough to start fast.
 */
const root = path.resolve(import.meta.dirname, '../..');

async function bundle(stage: string) {
  const result = await build({
    entryPoints: [path.join(root, 'functions/handlers', `${stage}.ts`)],
    bundle: true,
    write: false,
    metafile: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    external: ['@aws-sdk/*', '@smithy/*', ...(stage === 'render' ? ['@resvg/resvg-js', 'dejavu-fonts-ttf'] : [])],
    banner: { js: "import { createRequire as pulseRequire } from 'module'; const require = pulseRequire(import.meta.url);" },
    logLevel: 'silent',
  });
  return { bytes: result.outputFiles[0]!.contents.byteLength, inputs: Object.keys(result.metafile.inputs) };
}

describe('the Lambda bundles', () => {
  // Measured: 0.7-0.8 MB each, render 9.1 MB (MJML, Vega, ExcelJS); gzipped 0.17-0.19 MB and 2.9 MB.
  const limit = (stage: string) => (stage === 'render' ? 16 : 2) * 1024 ** 2;
  it.each(stageList.map((s) => s.name))('%s builds without DuckDB or a local adapter, and small (2 MB; render 16 MB)', async (stage) => {
    const { bytes, inputs } = await bundle(stage);
    expect(inputs.filter((i) => i.includes('@duckdb') || i.includes('functions/adapters/local/'))).toEqual([]);
    expect(inputs).toContain(`functions/handlers/${stage}.ts`);
    expect(bytes).toBeGreaterThan(10_000);
    expect(bytes).toBeLessThan(limit(stage));
  }, 60_000);
});
