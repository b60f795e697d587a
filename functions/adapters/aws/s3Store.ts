import { createReadStream } from 'node:fs';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import { ConfigError, ObjectDeleteError, ObjectStoreError, type ObjectDeleteFailure } from '../../errors.ts';
import type { ObjectStore, StoredObject } from '../../ports/objectStore.ts';
import { sdkFacts } from './sdkErrors.ts';

/** DeleteObjects takes at most 1,000 keys per request (S3 API reference, DeleteObjects). */
export const deleteBatchSize = 1000;

/**
 * lib-storage's default part: S3's minimum part size, 5 MiB (S3 API reference, UploadPart), except
 * the last. A stream holds at most partSize × queueSize in memory, however large the object.
 */
const defaultPartSizeBytes = 5 * 1024 * 1024;
const defaultQueueSize = 4;

export interface S3StoreOptions {
  /** For tests and for sharing one client; by default the store builds one, once. */
  client?: S3Client;
  /** Settings for the client the store builds (region, endpoint, credentials). */
  clientConfig?: S3ClientConfig;
  partSizeBytes?: number;
  queueSize?: number;
}

/**
 * The client for a lake. The SDK itself reads AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL); with an
 * endpoint set the server is S3-compatible (a loopback s3rver, MinIO), so buckets go in the path,
 * not the host name, and checksums are sent only where S3 requires them: otherwise the SDK frames
 * a streamed body as aws-chunked with a trailing checksum, which such servers store as the object.
 */
export function createS3Client(config: S3ClientConfig = {}): S3Client {
  const ignoreEnv = process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true';
  const endpoint =
    config.endpoint ?? (ignoreEnv ? undefined : (process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL));
  const compatible: S3ClientConfig = endpoint
    ? { forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
    : {};
  return new S3Client({ ...compatible, ...config });
}

/** `s3://bucket/prefix` → the bucket and the prefix, with one trailing slash (or none when empty). */
export function parseLakeUrl(lakeUrl: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(lakeUrl);
  if (!match) throw new ConfigError([`lake: "${lakeUrl}" is not an S3 lake URL: write it as s3://bucket/prefix`]);
  const prefix = match[2]!.replace(/^\/+|\/+$/g, '');
  return { bucket: match[1]!, prefix: prefix ? `${prefix}/` : '' };
}

/** The lake in an S3 bucket under a prefix, with the same keys as the local folder (docs/design.md, "Storage layout"). */
export class S3Store implements ObjectStore {
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly partSizeBytes: number;
  private readonly queueSize: number;

  constructor(lakeUrl: string, options: S3StoreOptions = {}) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseLakeUrl(lakeUrl));
    this.client = options.client ?? createS3Client(options.clientConfig);
    this.partSizeBytes = options.partSizeBytes ?? defaultPartSizeBytes;
    this.queueSize = options.queueSize ?? defaultQueueSize;
  }

  locate(key: string): string {
    return `s3://${this.bucket}/${this.objectKey(key, { allowEmpty: true })}`;
  }

  async put(key: string, body: Buffer | string): Promise<void> {
    await this.call('write', key, () =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Body: body })),
    );
  }

  async putIfAbsent(key: string, body: Buffer | string): Promise<boolean> {
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Body: body, IfNoneMatch: '*' }),
      );
      return true;
    } catch (error) {
      const { name, status } = sdkFacts(error);
      // 412: the key exists. 409: another conditional write to the same key is in flight; it will
      // win or fail, but either way this writer did not create the key (S3 user guide, "Conditional writes").
      if (name === 'PreconditionFailed' || status === 412 || name === 'ConditionalRequestConflict' || status === 409)
        return false;
      throw this.typed(error, 'write', key);
    }
  }

  async putFile(key: string, file: string): Promise<void> {
    await this.putStream(key, createReadStream(file));
  }

  async putStream(key: string, body: Readable): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.objectKey(key), Body: body },
      partSize: this.partSizeBytes,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      // As pipeline() does for the folder: a failed upload releases its source.
      body.destroy();
      throw this.typed(error, 'upload', key);
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      const bytes = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      const { name, status } = sdkFacts(error);
      // A missing bucket is 404 too, and must not read as an empty lake.
      if (name === 'NoSuchKey' || (status === 404 && name !== 'NoSuchBucket')) return undefined;
      throw this.typed(error, 'read', key);
    }
  }

  /** Keys starting with `prefix`, relative to the lake, sorted; "folder" marker objects (`x/`) are not keys. */
  async list(prefix: string): Promise<string[]> {
    return (await this.listObjects(prefix)).map((o) => o.key);
  }

  /** As list, with what ListObjectsV2 says of each object: size, LastModified, ETag (its quotes kept off). */
  async listObjects(prefix: string): Promise<StoredObject[]> {
    const objects: StoredObject[] = [];
    for await (const page of this.pages(prefix)) objects.push(...page.filter((o) => !o.key.endsWith('/')));
    return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /**
   * Deletes `prefix` as the folder store does: a prefix ending in `/` is a folder; without one it
   * is a file or a folder of that name (`marts/x/month=2026-10` spares `…/month=2026-100`).
   */
  async deletePrefix(prefix: string): Promise<void> {
    if (prefix.replace(/\/+$/, '') === '')
      throw new ObjectStoreError(`refusing to delete the whole lake ${this.locate('')}: name a prefix inside it`, {
        bucket: this.bucket,
        key: this.prefix,
      });
    const folder = prefix.endsWith('/') ? prefix : `${prefix}/`;
    // Each page has at most 1,000 keys, so each page is one DeleteObjects; S3 continues a listing
    // from its token correctly while the keys already listed are deleted.
    for await (const page of this.pages(prefix)) {
      const keys = page.map((o) => o.key).filter((key) => key === prefix || key.startsWith(folder));
      for (let start = 0; start < keys.length; start += deleteBatchSize)
        await this.deleteBatch(prefix, keys.slice(start, start + deleteBatchSize));
    }
  }

  private async deleteBatch(prefix: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    const result = await this.call('delete', prefix, () =>
      this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: keys.map((key) => ({ Key: this.objectKey(key) })), Quiet: true },
        }),
      ),
    );
    const failures: ObjectDeleteFailure[] = (result.Errors ?? []).map((e) => ({
      key: (e.Key ?? '').slice(this.prefix.length),
      code: e.Code ?? 'Error',
      message: e.Message ?? '',
    }));
    if (failures.length === 0) return;
    const shown = failures.slice(0, 3).map((f) => `${f.key} (${f.code}${f.message ? `: ${f.message}` : ''})`);
    const more = failures.length > shown.length ? ` and ${failures.length - shown.length} more` : '';
    throw new ObjectDeleteError(
      `S3 could not delete ${failures.length} of ${keys.length} keys under ${this.locate(prefix)}: ${shown.join('; ')}${more}`,
      {
        bucket: this.bucket,
        key: this.objectKey(prefix),
        failures,
        retryable: failures.every((f) => retryableCodes.has(f.code)),
      },
    );
  }

  /** The objects under `prefix`, keys relative to the lake, one ListObjectsV2 page (≤ 1,000 keys) at a time. */
  private async *pages(prefix: string): AsyncGenerator<StoredObject[]> {
    const paginator = paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.bucket, Prefix: this.objectKey(prefix, { allowEmpty: true }) },
    );
    try {
      for await (const page of paginator)
        yield (page.Contents ?? []).flatMap((o) =>
          o.Key
            ? [
                {
                  key: o.Key.slice(this.prefix.length),
                  size: o.Size ?? 0,
                  lastModified: (o.LastModified ?? new Date(0)).toISOString(),
                  ...(o.ETag ? { etag: o.ETag.replace(/"/g, '') } : {}),
                },
              ]
            : [],
        );
    } catch (error) {
      throw this.typed(error, 'list', prefix);
    }
  }

  /** The same keys as the folder store: relative, never climbing out of the lake. */
  private objectKey(key: string, { allowEmpty = false } = {}): string {
    if ((!allowEmpty && key === '' && this.prefix === '') || key.startsWith('/') || key.split('/').includes('..')) {
      throw new ObjectStoreError(`key "${key}" points outside the lake s3://${this.bucket}/${this.prefix}`, {
        bucket: this.bucket,
        key,
      });
    }
    return `${this.prefix}${key}`;
  }

  private async call<T>(verb: Verb, key: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw this.typed(error, verb, key);
    }
  }

  private typed(error: unknown, verb: Verb, key: string): ObjectStoreError {
    if (error instanceof ObjectStoreError) return error;
    const { name, status, said, throttled, serverFault, unreachable, noCredentials } = sdkFacts(error);
    const where = this.locate(key);
    const fail = (hint: string, retryable: boolean) =>
      new ObjectStoreError(`S3 could not ${verb} ${where}: ${hint} (${said})`, {
        bucket: this.bucket,
        key: this.objectKey(key, { allowEmpty: true }),
        retryable,
        cause: error,
      });
    if (name === 'NoSuchBucket')
      return fail(`bucket ${this.bucket} does not exist: check the lake URL and the region`, false);
    if (deniedNames.has(name) || status === 403)
      return fail(
        `access denied: check that the role may ${verb} in bucket ${this.bucket} (and use its KMS key)`,
        false,
      );
    if (noCredentials) return fail('no AWS credentials: set a profile or the AWS_* variables, or run in AWS', false);
    if (throttled || status === 503) return fail('S3 is throttling this prefix: retry after a wait', true);
    if (serverFault) return fail('S3 failed on its side: retry', true);
    if (unreachable) return fail('could not reach S3: check the network and the endpoint', true);
    return fail('S3 refused the request', false);
  }
}

type Verb = 'read' | 'write' | 'upload' | 'list' | 'delete';

const deniedNames = new Set([
  'AccessDenied',
  'AllAccessDisabled',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'AccountProblem',
  'KMS.AccessDeniedException',
]);
/** DeleteObjects per-key codes a later run can get past. */
const retryableCodes = new Set(['SlowDown', 'InternalError', 'ServiceUnavailable']);
