import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartAssets } from '../../functions/runtime/chartAssets.ts';
import { stageList } from '../../functions/stages/list.ts';

/**
 * `npx cdk synth` as a clean clone runs it: the example config cdk.json names, every Lambda
 * bundled locally by esbuild, npm told to stay offline. The render bundle carries resvg's
 * WebAssembly and the font beside it, and no bundle carries DuckDB or a node_modules folder.
 */
const root = path.resolve(import.meta.dirname, '../..');
const out = mkdtempSync(path.join(os.tmpdir(), 'pulse-synth-'));
const resolve = createRequire(import.meta.url).resolve;
let assets: { dir: string; files: string[] }[] = [];

beforeAll(async () => {
  await promisify(execFile)('npx', ['cdk', 'synth', '--quiet', '--output', out], {
    cwd: root,
    env: { ...process.env, npm_config_offline: 'true', CI: 'true' },
    timeout: 120_000,
  });
  assets = readdirSync(out)
    .filter((d) => d.startsWith('asset.') && statSync(path.join(out, d)).isDirectory())
    .map((d) => ({ dir: path.join(out, d), files: readdirSync(path.join(out, d)).sort() }))
    .filter((a) => a.files.includes('index.mjs'));
}, 150_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('cdk synth on a clean clone', () => {
  it("bundles one function per stage and the monthly starter's period function, with nothing installed beside it", () => {
    // The starter's Lambda works out the period its run is named by (functions/handlers/period.ts).
    expect(assets).toHaveLength(stageList.length + 1);
    for (const asset of assets) {
      expect(asset.files).not.toContain('node_modules');
      expect(readFileSync(path.join(asset.dir, 'index.mjs'), 'utf8')).not.toMatch(/@duckdb|duckdb\.node/);
    }
  });

  it("puts resvg's WebAssembly and the font beside the render bundle, byte for byte", () => {
    const render = assets.filter((a) => a.files.includes(chartAssets.wasm.bundled));
    expect(render).toHaveLength(1);
    for (const asset of Object.values(chartAssets)) {
      expect(
        readFileSync(path.join(render[0]!.dir, asset.bundled)).equals(readFileSync(resolve(asset.installed))),
        asset.bundled,
      ).toBe(true);
    }
  });
});
