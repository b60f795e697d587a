import { hostname } from 'node:os';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ObjectStoreError } from '../../errors.ts';
import { lakeKeys } from '../../model/lakeKeys.ts';
import {
  holderGone,
  parseHolder,
  processAlive,
  type Here,
  type LakeLock,
  type LockAttempt,
  type LockHolder,
} from '../../ports/lakeLock.ts';
import { createS3Client, parseLakeUrl } from './s3Store.ts';
import { sdkFacts } from './sdkErrors.ts';

/** The lease's key under the lake's prefix, as a folder lake names its lock file. */
export const leaseKey = lakeKeys.lock;

export interface S3LeaseOptions {
  client?: S3Client;
  /** How long the lease holds unless renewed; it is renewed every third of it. */
  ttlMs?: number;
  here?: () => Here;
  /** Told when a renewal finds the lease taken by another run (its expiry had passed). */
  onLost?: (message: string) => void;
}

/**
 * The lake lock of an S3 lake: a lease object, `<prefix>_lock.json`, naming the holder and its
 * expiry. It is created by a conditional put (If-None-Match: *, which S3 refuses with 412 when
 * the key exists), renewed and taken over by puts conditional on the ETag read (If-Match), so of
 * two runs that race for it exactly one wins (S3 user guide, "Conditional writes").
 */
export class S3Lease implements LakeLock {
  readonly where: string;
  private readonly bucket: string;
  private readonly key: string;
  private readonly client: S3Client;
  private readonly ttlMs: number;
  private readonly here: () => Here;
  private readonly onLost: (message: string) => void;
  private mine: { holder: LockHolder; etag: string } | undefined;
  private renewal: NodeJS.Timeout | undefined;

  constructor(lakeUrl: string, options: S3LeaseOptions = {}) {
    const { bucket, prefix } = parseLakeUrl(lakeUrl);
    this.bucket = bucket;
    this.key = `${prefix}${leaseKey}`;
    this.where = `s3://${bucket}/${this.key}`;
    this.client = options.client ?? createS3Client();
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.here = options.here ?? (() => ({ host: hostname(), now: new Date(), alive: processAlive }));
    this.onLost = options.onLost ?? (() => {});
  }

  async acquire(holder: LockHolder): Promise<LockAttempt> {
    for (;;) {
      const mine = { ...holder, expires: this.expiry() };
      const created = await this.put(mine, { IfNoneMatch: '*' });
      if (created !== 'refused') return this.held(mine, created);
      const found = await this.read();
      if (!found) continue;
      // A lease naming this run is its own, left by an invocation that died (a Lambda timed out).
      const own = found.holder?.runId === holder.runId;
      if (found.holder && !own && !holderGone(found.holder, this.here())) return { held: false, holder: found.holder };
      // Gone, this run's, or not a lease at all: replace exactly the object read; a 412 means another run did first.
      const replaced = await this.put(mine, { IfMatch: found.etag });
      if (replaced !== 'refused') return this.held(mine, replaced, found.holder);
    }
  }

  async release(): Promise<void> {
    clearInterval(this.renewal);
    this.renewal = undefined;
    const mine = this.mine;
    this.mine = undefined;
    if (!mine) return;
    const found = await this.read();
    if (found?.etag !== mine.etag) return;
    await this.call(() => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key })));
  }

  async holder(): Promise<LockHolder | undefined> {
    return (await this.read())?.holder;
  }

  private held(holder: LockHolder, etag: string, takenOver?: LockHolder): LockAttempt {
    this.mine = { holder, etag };
    this.renewal = setInterval(() => void this.renew().catch(() => {}), this.ttlMs / 3);
    this.renewal.unref();
    return takenOver ? { held: true, takenOver } : { held: true };
  }

  /** Moves the expiry on, conditional on the lease still being the one this run wrote. */
  private async renew(): Promise<void> {
    const mine = this.mine;
    if (!mine) return;
    const holder = { ...mine.holder, expires: this.expiry() };
    const etag = await this.put(holder, { IfMatch: mine.etag });
    if (etag === 'refused') {
      clearInterval(this.renewal);
      this.mine = undefined;
      this.onLost(
        `the lease ${this.where} was taken by another run after it expired: this run no longer holds the lake`,
      );
      return;
    }
    this.mine = { holder, etag };
  }

  /** The new ETag, or 'refused' when the condition failed (412) or another conditional write raced it (409). */
  private async put(holder: LockHolder, condition: { IfNoneMatch: '*' } | { IfMatch: string }) {
    try {
      const result = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          Body: `${JSON.stringify(holder, null, 2)}\n`,
          ContentType: 'application/json',
          ...condition,
        }),
      );
      return result.ETag ?? '';
    } catch (error) {
      const { name, status } = sdkFacts(error);
      if (name === 'PreconditionFailed' || status === 412 || name === 'ConditionalRequestConflict' || status === 409)
        return 'refused' as const;
      throw this.typed(error);
    }
  }

  /** The lease and its ETag; undefined when there is none. `holder` is undefined for a body that names none. */
  private async read(): Promise<{ holder: LockHolder | undefined; etag: string } | undefined> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key }));
      const text = (await object.Body?.transformToString()) ?? '';
      return { holder: parseHolder(text), etag: object.ETag ?? '' };
    } catch (error) {
      const { name, status } = sdkFacts(error);
      if (name === 'NoSuchKey' || (status === 404 && name !== 'NoSuchBucket')) return undefined;
      throw this.typed(error);
    }
  }

  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw this.typed(error);
    }
  }

  private typed(error: unknown): ObjectStoreError {
    const { said, throttled, serverFault, unreachable } = sdkFacts(error);
    return new ObjectStoreError(`S3 could not read or write the lake's lease ${this.where} (${said})`, {
      bucket: this.bucket,
      key: this.key,
      retryable: throttled || serverFault || unreachable,
      cause: error,
    });
  }

  private expiry(): string {
    return new Date(this.here().now.getTime() + this.ttlMs).toISOString();
  }
}
