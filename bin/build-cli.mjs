#!/usr/bin/env node
// Builds the CLI with esbuild into dist/cli/ (npm ci and npm install run it, as `prepare`): one
// ESM entry and a chunk per lazily loaded part, the packages left in node_modules. `pulse` then
// starts without compiling TypeScript; bin/pulse.js falls back to tsx when dist/ is absent.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';

const outdir = new URL('../dist/cli/', import.meta.url);
await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: [new URL('../functions/cli/main.ts', import.meta.url).pathname],
  outdir: outdir.pathname,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
