import type { Readable } from 'node:stream';

/**
 * What a listing says of one object, besides its key: enough to tell that it changed without
 * reading it (functions/stages/inputsFingerprint.ts). S3 gives its ETag (the content's MD5 for a
 * single-part PUT, so the same bytes written again keep it); a folder has none, and its size and
 * modification time stand for it.
 */
export interface StoredObject {
  key: string;
  size: number;
  /** ISO 8601. */
  lastModified: string;
  etag?: string;
}

/**
 * The lake: S3 in the cloud, a folder locally, with the same keys
 * (raw/…, rejects/…, state/…, curated/…, marts/…, reports/…, ledger/…).
 */
export interface ObjectStore {
  /** Where the SQL engine finds a key: `s3://bucket/prefix/key` or an absolute file path. */
  locate(key: string): string;
  put(key: string, body: Buffer | string): Promise<void>;
  /** Writes only if the key does not exist yet; false when it already did (delivery ledger). */
  putIfAbsent(key: string, body: Buffer | string): Promise<boolean>;
  putStream(key: string, body: Readable): Promise<void>;
  /** Copies a local file in as it is (an export landed in raw/): a kernel copy locally, a streamed upload to S3. */
  putFile(key: string, file: string): Promise<void>;
  get(key: string): Promise<Buffer | undefined>;
  list(prefix: string): Promise<string[]>;
  /** As list, with each object's size, modification time and (in S3) ETag. */
  listObjects(prefix: string): Promise<StoredObject[]>;
  deletePrefix(prefix: string): Promise<void>;
}

export async function getJson<T>(store: ObjectStore, key: string): Promise<T | undefined> {
  const body = await store.get(key);
  return body ? (JSON.parse(body.toString('utf8')) as T) : undefined;
}

export async function putJson(store: ObjectStore, key: string, value: unknown): Promise<void> {
  await store.put(key, `${JSON.stringify(value, null, 2)}\n`);
}
