import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ObjectStoreError, PulseError } from '../../errors.ts';
import { lakeKeys } from '../../model/lakeKeys.ts';
import { inPool } from '../../runtime/inPool.ts';
import { createS3Client, deleteBatchSize, parseLakeUrl } from './s3Store.ts';
import { sdkFacts } from './sdkErrors.ts';

/**
 * A month's manifest as read: the lake keys of the Parquet files it names, and its ETag, which the
 * next commit of that month is conditional on.
 */
export interface Manifest {
  keys: string[];
  etag: string;
}

/** A table's manifests by month ('' for an unpartitioned table's one). */
export type Manifests = Map<string, Manifest>;

/**
 * Another writer committed the month after this write read its manifest: this write's files are
 * named by nothing and the month is as the other writer left it. Running again writes it anew.
 */
export class ManifestConflictError extends PulseError {}

/**
 * The S3 side of a table commit (docs/design.md, "Commits"): what an Athena write of a curated
 * entity or a mart needs besides its UNLOAD. Athena reads a month of such a table through its
 * Glue table's SymlinkTextInputFormat: the month's location holds one object, `manifest`, listing
 * the s3:// URIs of its Parquet files, one per line (the format S3 Inventory and Delta Lake write
 * for Athena: S3 User Guide, "Querying Amazon S3 Inventory with Amazon Athena",
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-athena-query.html;
 * https://docs.delta.io/latest/presto-integration.html). A PutObject replaces an object whole, so
 * the switch of a month to new files is one request; it is conditional (If-Match on the ETag the
 * writer read, If-None-Match: * for a month with none), so a writer that raced another is told
 * (412) instead of undoing its commit (S3 User Guide, "Conditional writes",
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
 */
export interface TableManifests {
  /** Every manifest of the table (curated/<entity>/, marts/<mart>/), by month. */
  readAll(table: string): Promise<Manifests>;
  /**
   * Makes the month (undefined: the unpartitioned table) read exactly `keys`, conditional on the
   * manifest being the one read (`expected`, or none). Throws ManifestConflictError when it is not.
   */
  commit(table: string, month: string | undefined, keys: readonly string[], expected?: string): Promise<void>;
  /** The keys under a prefix of the lake. */
  list(prefix: string): Promise<string[]>;
  copy(from: string, to: string): Promise<void>;
  /** Deletes exactly these keys. */
  delete(keys: readonly string[]): Promise<void>;
}

/** The month a manifest key is for ('' for an unpartitioned table's), or undefined for another object. */
export function manifestMonth(table: string, key: string): string | undefined {
  const root = lakeKeys.manifests(table);
  if (key === `${root}manifest`) return '';
  return new RegExp(`^${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}month=(\\d{4}-\\d{2})/manifest$`).exec(key)?.[1];
}

export class S3TableManifests implements TableManifests {
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly client: S3Client;

  constructor(lakeUrl: string, options: { client?: S3Client } = {}) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseLakeUrl(lakeUrl));
    this.client = options.client ?? createS3Client();
  }

  /** Reads them 16 at a time: a table of 100 months is 100 GETs, before every write and sweep. */
  async readAll(table: string): Promise<Manifests> {
    const keys = (await this.list(lakeKeys.manifests(table))).flatMap((key) => {
      const month = manifestMonth(table, key);
      return month === undefined ? [] : [{ key, month }];
    });
    const read = await inPool(keys, 16, ({ key }) => this.read(key));
    const found: Manifests = new Map();
    keys.forEach(({ month }, i) => {
      if (read[i]) found.set(month, read[i]);
    });
    return found;
  }

  async commit(table: string, month: string | undefined, keys: readonly string[], expected?: string): Promise<void> {
    const key = lakeKeys.manifest(table, month);
    const body = keys.map((k) => `${this.uri(k)}\n`).join('');
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          Body: body,
          ContentType: 'text/plain',
          ...(expected === undefined ? { IfNoneMatch: '*' } : { IfMatch: expected }),
        }),
      );
    } catch (error) {
      const { name, status } = sdkFacts(error);
      // 412: the condition failed; 409: another conditional write to the key was in flight.
      if (name === 'PreconditionFailed' || status === 412 || name === 'ConditionalRequestConflict' || status === 409) {
        const what = month ? `month ${month} of ${table}` : table;
        throw new ManifestConflictError(
          `${what} was committed by another writer while this one wrote (${this.uri(key)} is not the manifest it ` +
            'read): nothing of this write is read; run the stage again once the other run has ended',
          { cause: error, retryable: true },
        );
      }
      throw this.typed(error, 'write', key);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const pages = paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.bucket, Prefix: this.objectKey(prefix) },
    );
    try {
      for await (const page of pages)
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key.slice(this.prefix.length));
    } catch (error) {
      throw this.typed(error, 'list', prefix);
    }
    return keys;
  }

  async copy(from: string, to: string): Promise<void> {
    // CopySource is URL-encoded; `=` (month=…, w=…) is left as it is, which S3 and s3rver both read.
    const source = `${this.bucket}/${this.objectKey(from)}`
      .split('/')
      .map((s) => encodeURIComponent(s).replace(/%3D/g, '='))
      .join('/');
    try {
      await this.client.send(
        new CopyObjectCommand({ Bucket: this.bucket, Key: this.objectKey(to), CopySource: source }),
      );
    } catch (error) {
      throw this.typed(error, 'copy', from);
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += deleteBatchSize) {
      const batch = keys.slice(i, i + deleteBatchSize);
      try {
        const result = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((k) => ({ Key: this.objectKey(k) })), Quiet: true },
          }),
        );
        const failed = result.Errors?.[0];
        if (failed)
          throw new ObjectStoreError(
            `S3 could not delete s3://${this.bucket}/${failed.Key} (${failed.Code}: ${failed.Message}) nor ` +
              `${(result.Errors?.length ?? 1) - 1} other key(s)`,
            { bucket: this.bucket, key: failed.Key ?? '', retryable: true },
          );
      } catch (error) {
        throw this.typed(error, 'delete', batch[0]!);
      }
    }
  }

  private async read(key: string): Promise<Manifest | undefined> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      const text = (await object.Body?.transformToString()) ?? '';
      const keys = text
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean)
        .map((uri) => this.keyOf(uri, key));
      return { keys, etag: object.ETag ?? '' };
    } catch (error) {
      if (error instanceof ObjectStoreError) throw error;
      const { name, status } = sdkFacts(error);
      if (name === 'NoSuchKey' || (status === 404 && name !== 'NoSuchBucket')) return undefined;
      throw this.typed(error, 'read', key);
    }
  }

  /** A manifest line as a lake key: Pulse names only its own lake's files. */
  private keyOf(uri: string, manifest: string): string {
    const lake = `s3://${this.bucket}/${this.prefix}`;
    if (!uri.startsWith(lake))
      throw new ObjectStoreError(`${this.uri(manifest)} names ${uri}, which is outside the lake ${lake}`, {
        bucket: this.bucket,
        key: this.objectKey(manifest),
      });
    return uri.slice(lake.length);
  }

  private uri(key: string): string {
    return `s3://${this.bucket}/${this.objectKey(key)}`;
  }

  private objectKey(key: string): string {
    return `${this.prefix}${key}`;
  }

  private typed(error: unknown, verb: string, key: string): ObjectStoreError {
    if (error instanceof ObjectStoreError) return error;
    const { said, throttled, serverFault, unreachable } = sdkFacts(error);
    return new ObjectStoreError(`S3 could not ${verb} ${this.uri(key)} (${said})`, {
      bucket: this.bucket,
      key: this.objectKey(key),
      retryable: throttled || serverFault || unreachable,
      cause: error,
    });
  }
}
