#!/usr/bin/env node
// The npm bin: the CLI esbuild built at install (dist/cli, `npm run build:cli`), which starts at
// once; when it is absent or older than a source under functions/ (an edit since the build), the
// TypeScript sources through tsx, so what runs is always the code as it is.
import { existsSync, readdirSync, statSync } from 'node:fs';

const built = new URL('../dist/cli/main.js', import.meta.url);
const sources = new URL('../functions/', import.meta.url);

function fresh() {
  if (!existsSync(built)) return false;
  const at = statSync(built).mtimeMs;
  for (const file of readdirSync(sources, { recursive: true })) {
    if (String(file).endsWith('.ts') && statSync(new URL(String(file), sources)).mtimeMs > at) return false;
  }
  return true;
}

let main;
if (fresh()) {
  ({ main } = await import(built.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../functions/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
