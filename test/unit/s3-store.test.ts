import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createS3Client, parseLakeUrl, S3Store } from '../../functions/adapters/aws/s3Store.ts';
import { ConfigError, ObjectDeleteError, ObjectStoreError, StageError } from '../../functions/errors.ts';
import { lakeKeys } from '../../functions/model/lakeKeys.ts';

/**
 * S3 at the SDK boundary: what the commands carry, and what S3's errors (shapes as the SDK builds
 * them from the S3 API reference, "Error responses") make the store do. The conditional put lives
 * here because s3rver ignores If-None-Match on PUT.
 */
const s3 = mockClient(S3Client);

beforeEach(() => s3.reset());
afterEach(() => vi.unstubAllEnvs());
afterAll(() => s3.restore());

const store = () => new S3Store('s3://pulse-lake/pulse', { client: new S3Client({ region: 'eu-west-1' }) });

const s3Error = (
  name: string,
  status: number,
  message: string,
  fault: 'client' | 'server' = status >= 500 ? 'server' : 'client',
) =>
  new S3ServiceException({
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status, attempts: 1, totalRetryDelay: 0 },
    message,
  });

const ledgerKey = lakeKeys.ledger('2026-10', 'finance', 'cfo@example.com');

describe('S3Store putIfAbsent (the delivery ledger)', () => {
  it('writes with If-None-Match: * under the lake prefix and answers true', async () => {
    // prepare
    s3.on(PutObjectCommand).resolves({ ETag: '"abc"' });
    // act
    const written = await store().putIfAbsent(ledgerKey, '{"sentAt":"2026-11-01T07:00:00Z"}');
    // assess
    expect(written).toBe(true);
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 1);
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'pulse-lake',
      Key: `pulse/${ledgerKey}`,
      IfNoneMatch: '*',
    });
  });

  it('answers false on 412 PreconditionFailed: the key exists', async () => {
    // prepare
    s3.on(PutObjectCommand).rejects(
      s3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold'),
    );
    // act
    const written = await store().putIfAbsent(ledgerKey, '{}');
    // assess
    expect(written).toBe(false);
  });

  it('answers false on 409 ConditionalRequestConflict: another writer of the key is in flight', async () => {
    // prepare
    s3.on(PutObjectCommand).rejects(
      s3Error(
        'ConditionalRequestConflict',
        409,
        'A conflicting conditional operation is currently in progress against this resource.',
      ),
    );
    // act
    const written = await store().putIfAbsent(ledgerKey, '{}');
    // assess
    expect(written).toBe(false);
  });

  it('throws a retryable error naming the bucket and key on 503 SlowDown, which a stage carries up', async () => {
    // prepare
    s3.on(PutObjectCommand).rejects(s3Error('SlowDown', 503, 'Please reduce your request rate.'));
    // act
    const error = await store()
      .putIfAbsent(ledgerKey, '{}')
      .catch((e: unknown) => e);
    // assess
    expect(error).toBeInstanceOf(ObjectStoreError);
    expect(error).toMatchObject({ retryable: true, bucket: 'pulse-lake', key: `pulse/${ledgerKey}` });
    expect((error as ObjectStoreError).message).toBe(
      `S3 could not write s3://pulse-lake/pulse/${ledgerKey}: S3 is throttling this prefix: retry after a wait (SlowDown: Please reduce your request rate.)`,
    );
    expect((error as ObjectStoreError).cause).toBeInstanceOf(S3ServiceException);
    expect(new StageError('deliver', { cause: error }).retryable).toBe(true);
  });
});

describe('S3Store errors', () => {
  it('are not retryable on 403 AccessDenied, and say what to check', async () => {
    // prepare
    s3.on(PutObjectCommand).rejects(s3Error('AccessDenied', 403, 'Access Denied'));
    // act
    const error = await store()
      .put('state/zendesk/tickets.json', '{}')
      .catch((e: unknown) => e);
    // assess
    expect(error).toMatchObject({ name: 'ObjectStoreError', retryable: false });
    expect((error as Error).message).toBe(
      'S3 could not write s3://pulse-lake/pulse/state/zendesk/tickets.json: access denied: check that the role may write in bucket pulse-lake (and use its KMS key) (AccessDenied: Access Denied)',
    );
  });

  it('are retryable on a 500 InternalError', async () => {
    // prepare
    s3.on(GetObjectCommand).rejects(
      s3Error('InternalError', 500, 'We encountered an internal error. Please try again.'),
    );
    // act
    const error = await store()
      .get('reports/2026-10/kpis.json')
      .catch((e: unknown) => e);
    // assess
    expect(error).toMatchObject({ name: 'ObjectStoreError', retryable: true });
  });

  it('read a missing key as undefined, but a missing bucket as an error', async () => {
    // prepare
    s3.on(GetObjectCommand, { Key: 'pulse/a.json' }).rejects(
      s3Error('NoSuchKey', 404, 'The specified key does not exist.'),
    );
    s3.on(GetObjectCommand, { Key: 'pulse/b.json' }).rejects(
      s3Error('NoSuchBucket', 404, 'The specified bucket does not exist'),
    );
    // act
    const missingKey = await store().get('a.json');
    const missingBucket = await store()
      .get('b.json')
      .catch((e: unknown) => e);
    // assess
    expect(missingKey).toBeUndefined();
    expect(missingBucket).toMatchObject({ name: 'ObjectStoreError', retryable: false });
    expect((missingBucket as Error).message).toContain(
      'bucket pulse-lake does not exist: check the lake URL and the region',
    );
  });

  it('report the keys DeleteObjects could not delete, as a typed error', async () => {
    // prepare
    s3.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: 'pulse/curated/tickets/a.parquet' }, { Key: 'pulse/curated/tickets/b.parquet' }],
      IsTruncated: false,
    });
    s3.on(DeleteObjectsCommand).resolves({
      Errors: [{ Key: 'pulse/curated/tickets/b.parquet', Code: 'AccessDenied', Message: 'Access Denied' }],
    });
    // act
    const error = await store()
      .deletePrefix('curated/tickets/')
      .catch((e: unknown) => e);
    // assess
    expect(error).toBeInstanceOf(ObjectDeleteError);
    expect(error).toMatchObject({
      retryable: false,
      failures: [{ key: 'curated/tickets/b.parquet', code: 'AccessDenied', message: 'Access Denied' }],
    });
    expect((error as Error).message).toBe(
      'S3 could not delete 1 of 2 keys under s3://pulse-lake/pulse/curated/tickets/: curated/tickets/b.parquet (AccessDenied: Access Denied)',
    );
    expect(s3).toHaveReceivedCommandWith(DeleteObjectsCommand, {
      Bucket: 'pulse-lake',
      Delete: {
        Objects: [{ Key: 'pulse/curated/tickets/a.parquet' }, { Key: 'pulse/curated/tickets/b.parquet' }],
        Quiet: true,
      },
    });
  });
});

describe('S3Store keys', () => {
  it('follows ListObjectsV2 continuation tokens and strips the lake prefix', async () => {
    // prepare
    s3.on(ListObjectsV2Command, { ContinuationToken: undefined }).resolves({
      Contents: [{ Key: 'pulse/raw/b' }, { Key: 'pulse/raw/' }],
      IsTruncated: true,
      NextContinuationToken: 't1',
    });
    s3.on(ListObjectsV2Command, { ContinuationToken: 't1' }).resolves({
      Contents: [{ Key: 'pulse/raw/a' }],
      IsTruncated: false,
    });
    // act
    const keys = await store().list('raw/');
    // assess: the `raw/` folder marker is not a key.
    expect(keys).toEqual(['raw/a', 'raw/b']);
    expect(s3).toHaveReceivedCommandTimes(ListObjectsV2Command, 2);
    expect(s3).toHaveReceivedNthCommandWith(ListObjectsV2Command, 1, { Bucket: 'pulse-lake', Prefix: 'pulse/raw/' });
  });

  it('parses lake URLs with and without a prefix, and rejects anything else naming the key', () => {
    expect(parseLakeUrl('s3://pulse-lake')).toEqual({ bucket: 'pulse-lake', prefix: '' });
    expect(parseLakeUrl('s3://pulse-lake/')).toEqual({ bucket: 'pulse-lake', prefix: '' });
    expect(parseLakeUrl('s3://pulse-lake/team/pulse/')).toEqual({ bucket: 'pulse-lake', prefix: 'team/pulse/' });
    expect(new S3Store('s3://pulse-lake', { client: new S3Client({ region: 'eu-west-1' }) }).locate('marts/trc/')).toBe(
      's3://pulse-lake/marts/trc/',
    );
    expect(() => parseLakeUrl('https://pulse-lake.s3.amazonaws.com/pulse')).toThrow(ConfigError);
    expect(() => parseLakeUrl('s3:///pulse')).toThrow(
      'lake: "s3:///pulse" is not an S3 lake URL: write it as s3://bucket/prefix',
    );
  });

  it("builds a client for AWS itself when no endpoint is set: virtual-hosted buckets, the SDK's default checksums", async () => {
    // prepare
    vi.stubEnv('AWS_ENDPOINT_URL_S3', undefined);
    vi.stubEnv('AWS_ENDPOINT_URL', undefined);
    vi.stubEnv('AWS_REQUEST_CHECKSUM_CALCULATION', undefined);
    // act
    const client = createS3Client({ region: 'eu-west-1' });
    // assess
    expect(await client.config.forcePathStyle).toBeFalsy();
    expect(await client.config.requestChecksumCalculation()).toBe('WHEN_SUPPORTED');
  });

  it('refuses keys that climb out of the lake, and deleting the whole lake', async () => {
    expect(() => store().locate('../other-team/x.json')).toThrow(ObjectStoreError);
    await expect(store().deletePrefix('')).rejects.toThrow('refusing to delete the whole lake s3://pulse-lake/pulse/');
    expect(s3).not.toHaveReceivedCommand(ListObjectsV2Command);
  });
});
