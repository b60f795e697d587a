import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let version: string | undefined;

/**
 * A hash of the code that is running, so an output computed by other code is never kept as if
 * it were current (functions/stages/inputsFingerprint.ts). From the sources, every file under
 * functions/; built, the files beside this one: the CLI's chunks in dist/cli, a Lambda's bundle
 * in /var/task. Read once per process: the sources are some 1.5 MB.
 */
export function codeVersion(): string {
  if (version) return version;
  const here = fileURLToPath(import.meta.url);
  const fromSources = here.endsWith(path.join('functions', 'runtime', 'codeVersion.ts'));
  const root = fromSources ? path.resolve(path.dirname(here), '..') : path.dirname(here);
  const files = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|js|mjs|cjs)$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .filter((file) => !file.split(path.sep).includes('node_modules'))
    .sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(path.relative(root, file)).update('\0').update(readFileSync(file));
  version = hash.digest('hex');
  return version;
}
