import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

/**
 * `npm ci` on the Node the project supports (package.json engines, >=20.20) warns EBADENGINE for
 * any locked package whose own engines exclude it; package.json's overrides pin such packages to
 * versions that allow it (mjml → js-beautify → nopt, abbrev).
 */
const root = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => JSON.parse(readFileSync(path.join(root, file), 'utf8'));

describe('locked packages and the supported Node', () => {
  it('every package in package-lock.json allows the lowest Node the project supports', () => {
    const lowest = semver.minVersion(read('package.json').engines.node as string)!.version;
    const packages = read('package-lock.json').packages as Record<string, { engines?: { node?: string } }>;
    const refusing = Object.entries(packages)
      .filter(([name, p]) => name !== '' && p.engines?.node && !semver.satisfies(lowest, p.engines.node))
      .map(([name, p]) => `${name} (${p.engines!.node})`);

    expect(lowest).toBe('20.20.0');
    expect(refusing).toEqual([]);
  });
});
