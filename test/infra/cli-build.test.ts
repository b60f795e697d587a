import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * The CLI as npm ci builds it (bin/build-cli.mjs, esbuild with code splitting): `pulse --help`
 * and `pulse check-config` load no renderer (MJML, Vega, ExcelJS) and no stage code; those
 * chunks load only in `pulse run`. How long it takes to start is in `npm run bench`.
 */
const root = path.resolve(import.meta.dirname, '../..');

/** Everything the entry chunk loads before its first line runs (its static imports, transitively). */
function staticClosure(metafile: Metafile, entry: string): { chunks: Set<string>; packages: Set<string> } {
  const chunks = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (chunks.has(file)) return;
    chunks.add(file);
    for (const imported of metafile.outputs[file]!.imports) {
      if (imported.kind !== 'import-statement') continue;
      if (imported.external) packages.add(imported.path.replace(/^(@[^/]+\/[^/]+|[^/]+).*$/, '$1'));
      else visit(imported.path);
    }
  };
  visit(entry);
  return { chunks, packages };
}

describe('the built CLI', () => {
  it('starts `--help` and `check-config` without the renderers, the stages or the engine', async () => {
    const result = await build({
      entryPoints: [path.join(root, 'functions/cli/main.ts')],
      outdir: path.join(root, '.tmp/cli-build'),
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
    const entry = Object.keys(result.metafile.outputs).find((o) => o.endsWith('main.js'))!;
    const { chunks, packages } = staticClosure(result.metafile, entry);
    for (const heavy of ['mjml', 'vega', 'vega-lite', 'exceljs', '@duckdb/node-api', '@resvg/resvg-wasm', 'nodemailer'])
      expect(packages.has(heavy), heavy).toBe(false);
    const inputs = [...chunks].flatMap((c) => Object.keys(result.metafile.outputs[c]!.inputs));
    expect(inputs.filter((i) => /functions\/(stages|report)\//.test(i) && !i.endsWith('stages/list.ts'))).toEqual([]);
    // They are in the build all the same, behind `pulse run`'s dynamic imports.
    expect(Object.values(result.metafile.outputs).some((o) => o.imports.some((i) => i.path === 'mjml'))).toBe(true);
  });

  it('runs from dist/ once built: --help answers', async () => {
    await promisify(execFile)(process.execPath, [path.join(root, 'bin/build-cli.mjs')], { cwd: root });
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'bin/pulse.js'), '--help'], {
      cwd: root,
    });
    expect(stdout).toMatch(/Usage: pulse/);
    expect(stdout).toContain('check-config');
  });
});
