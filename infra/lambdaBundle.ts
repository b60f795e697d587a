import { copyFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';
import { chartAssets } from '../functions/runtime/chartAssets.ts';

/**
 * How each stage's Lambda is bundled, in one place: the stack's NodejsFunction takes these
 * options, and the bundle test and the bench build with the same ones through esbuild directly.
 * ESM for Node.js 24; the runtime's own AWS SDK v3 left out; CommonJS packages (MJML, exceljs)
 * get a `require` in ESM; the render stage's WebAssembly and font copied beside it.
 */
export const projectRoot = path.resolve(import.meta.dirname, '..');
export const bundleTarget = 'node24';
export const bundleExternals = ['@aws-sdk/*', '@smithy/*'];
export const bundleBanner =
  "import { createRequire as pulseRequire } from 'module'; const require = pulseRequire(import.meta.url);";

/**
 * Minified, with class names kept: error names reach the owners' alerts and the state machine's
 * Catch, and minified they read `ja`. esbuild and the CDK's bundling name both options alike.
 */
export const bundleMinify = { minify: true, keepNames: true } as const;

export const handlerEntry = (stage: string) => path.join(projectRoot, 'functions/handlers', `${stage}.ts`);

const resolvePackage = createRequire(import.meta.url).resolve;

/** The files a stage's bundle carries beside it: resvg's WebAssembly and the font, for render. */
export function bundleAssets(stage: string): { from: string; to: string }[] {
  return stage === 'render'
    ? Object.values(chartAssets).map((asset) => ({ from: resolvePackage(asset.installed), to: asset.bundled }))
    : [];
}

export interface BuiltBundle {
  /** index.mjs, minified. */
  bytes: number;
  /** Source files esbuild put in it, relative to the project. */
  inputs: string[];
  /** The assets beside it, in bytes. */
  assetBytes: number;
}

/** Builds a stage's bundle as the stack does (without the source map), into `outdir` if given. */
export async function buildStageBundle(stage: string, outdir?: string): Promise<BuiltBundle> {
  const result = await build({
    entryPoints: [handlerEntry(stage)],
    bundle: true,
    write: Boolean(outdir),
    ...(outdir ? { outfile: path.join(outdir, 'index.mjs') } : {}),
    metafile: true,
    ...bundleMinify,
    format: 'esm',
    platform: 'node',
    target: bundleTarget,
    external: bundleExternals,
    banner: { js: bundleBanner },
    absWorkingDir: projectRoot,
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs)[0]!;
  let assetBytes = 0;
  for (const asset of bundleAssets(stage)) {
    if (outdir) copyFileSync(asset.from, path.join(outdir, asset.to));
    assetBytes += statSync(asset.from).size;
  }
  return { bytes: output.bytes, inputs: Object.keys(result.metafile.inputs), assetBytes };
}
