import { createHash } from 'node:crypto';
import {
  ManifestConflictError,
  type Manifests,
  type TableManifests,
} from '../../functions/adapters/aws/tableManifests.ts';
import { lakeKeys } from '../../functions/model/lakeKeys.ts';

/**
 * A table's manifests and files in memory, for the engine's tests at the Athena SDK boundary (where
 * no S3 answers): commits are conditional as S3's PutObject is (If-None-Match: * on an existing
 * manifest, If-Match on another ETag: refused), and `files` holds the keys an UNLOAD would have
 * written, which a test adds itself.
 */
export function memoryManifests() {
  const manifests = new Map<string, { keys: string[]; etag: string }>();
  const files = new Set<string>();
  const commits: { key: string; keys: string[]; expected?: string }[] = [];
  const deleted: string[] = [];
  const store: TableManifests = {
    async readAll(table) {
      const found: Manifests = new Map();
      for (const [key, m] of manifests) {
        if (!key.startsWith(lakeKeys.manifests(table))) continue;
        const month = /month=(\d{4}-\d{2})\/manifest$/.exec(key)?.[1] ?? '';
        found.set(month, { keys: [...m.keys], etag: m.etag });
      }
      return found;
    },
    async commit(table, month, keys, expected) {
      const key = lakeKeys.manifest(table, month);
      const current = manifests.get(key);
      if (expected === undefined ? current : current?.etag !== expected)
        throw new ManifestConflictError(`${key}: 412 PreconditionFailed`);
      commits.push({ key, keys: [...keys], ...(expected ? { expected } : {}) });
      const etag = `"${createHash('md5').update(keys.join('\n')).update(String(commits.length)).digest('hex')}"`;
      manifests.set(key, { keys: [...keys], etag });
    },
    async list(prefix) {
      return [...files].filter((k) => k.startsWith(prefix)).sort();
    },
    async copy(from, to) {
      if (!files.has(from)) throw new Error(`no ${from}`);
      files.add(to);
    },
    async delete(keys) {
      for (const k of keys) {
        files.delete(k);
        deleted.push(k);
      }
    },
  };
  return { store, manifests, files, commits, deleted };
}
