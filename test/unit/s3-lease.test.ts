import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { S3Lease } from '../../functions/adapters/aws/s3Lease.ts';
import type { Here, LockHolder } from '../../functions/ports/lakeLock.ts';

/**
 * The S3 lease at the SDK boundary. s3rver ignores If-None-Match and If-Match on PUT (it honours
 * them on GET only), so the bucket here is a small fake that keeps one object per key and answers
 * conditional puts as the S3 API reference says PutObject does: If-None-Match: * on an existing
 * key, or If-Match with another ETag (or on a missing key), fails with 412 PreconditionFailed.
 */
const s3 = mockClient(S3Client);
afterAll(() => s3.restore());

const objects = new Map<string, { body: string; etag: string }>();
const preconditionFailed = () =>
  new S3ServiceException({
    name: 'PreconditionFailed',
    $fault: 'client',
    $metadata: { httpStatusCode: 412, attempts: 1, totalRetryDelay: 0 },
    message: 'At least one of the pre-conditions you specified did not hold',
  });
const noSuchKey = () =>
  new S3ServiceException({
    name: 'NoSuchKey',
    $fault: 'client',
    $metadata: { httpStatusCode: 404, attempts: 1, totalRetryDelay: 0 },
    message: 'The specified key does not exist.',
  });
let puts: PutObjectCommandInput[];

beforeEach(() => {
  s3.reset();
  objects.clear();
  puts = [];
  s3.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
    puts.push(input);
    const current = objects.get(input.Key!);
    if (input.IfNoneMatch === '*' && current) throw preconditionFailed();
    if (input.IfMatch !== undefined && current?.etag !== input.IfMatch) throw preconditionFailed();
    const body = String(input.Body);
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    objects.set(input.Key!, { body, etag });
    return { ETag: etag };
  });
  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const current = objects.get(input.Key);
    if (!current) throw noSuchKey();
    // The part of the SDK's streaming body the lease reads.
    const body = current.body;
    return { ETag: current.etag, Body: { transformToString: async () => body } as never };
  });
  s3.on(DeleteObjectCommand).callsFake((input: { Key: string }) => {
    objects.delete(input.Key);
    return {};
  });
});

const key = 'pulse/_lock.json';
const since = '2026-11-01T06:00:00.000Z';
const holder = (runId: string, host = 'laptop', pid = 4242): LockHolder => ({
  runId,
  pid,
  host,
  since,
  expires: since,
});
const clock = { now: new Date('2026-11-01T06:00:00Z') };
/** Every process runs, as far as these tests look: only expiry frees a lease. */
const here =
  (host = 'laptop'): (() => Here) =>
  () => ({ host, now: clock.now, alive: () => true });
const lease = (host = 'laptop') =>
  new S3Lease('s3://pulse-lake/pulse', {
    client: new S3Client({ region: 'eu-west-1' }),
    ttlMs: 60_000,
    here: here(host),
  });
const stored = () => JSON.parse(objects.get(key)!.body) as LockHolder;

beforeEach(() => {
  clock.now = new Date('2026-11-01T06:00:00Z');
});

describe('S3Lease', () => {
  it('creates the lease under the lake prefix with If-None-Match: * and an expiry', async () => {
    // act
    const attempt = await lease().acquire(holder('run-a'));
    // assess
    expect(attempt).toEqual({ held: true });
    expect(puts[0]).toMatchObject({ Bucket: 'pulse-lake', Key: key, IfNoneMatch: '*' });
    expect(stored()).toMatchObject({ runId: 'run-a', since, expires: '2026-11-01T06:01:00.000Z' });
  });

  it('answers who holds a live lease, and takes an expired one with If-Match on the ETag it read', async () => {
    // prepare
    await lease('laptop').acquire(holder('run-a'));
    const etag = objects.get(key)!.etag;
    // act
    const early = await lease('ci').acquire(holder('run-b', 'ci'));
    clock.now = new Date('2026-11-01T06:01:01Z');
    const late = await lease('ci').acquire(holder('run-c', 'ci'));
    // assess
    expect(early).toEqual({ held: false, holder: expect.objectContaining({ runId: 'run-a', host: 'laptop' }) });
    expect(late).toMatchObject({ held: true, takenOver: { runId: 'run-a' } });
    expect(puts.at(-1)).toMatchObject({ IfMatch: etag });
    expect(stored()).toMatchObject({ runId: 'run-c', host: 'ci' });
  });

  it('of two runs that take the same expired lease, the one whose If-Match comes second gets 412 and yields', async () => {
    // prepare: both read the expired lease before either writes
    await lease().acquire(holder('run-a'));
    clock.now = new Date('2026-11-01T07:00:00Z');
    const read = s3.commandCalls(GetObjectCommand).length;
    // act
    const [b, c] = await Promise.all([
      lease('ci').acquire(holder('run-b', 'ci')),
      lease('ci').acquire(holder('run-c', 'ci')),
    ]);
    // assess
    expect(s3.commandCalls(GetObjectCommand).length - read).toBeGreaterThanOrEqual(2);
    expect([b.held, c.held].filter(Boolean)).toHaveLength(1);
    const winner = b.held ? 'run-b' : 'run-c';
    expect(stored().runId).toBe(winner);
    expect(b.held ? c : b).toEqual({ held: false, holder: expect.objectContaining({ runId: winner }) });
  });

  it('renews while held, and release deletes only its own lease', async () => {
    // prepare
    const mine = new S3Lease('s3://pulse-lake/pulse', {
      client: new S3Client({ region: 'eu-west-1' }),
      ttlMs: 90,
      here: () => ({ host: 'laptop', now: new Date(), alive: () => true }),
    });
    await mine.acquire(holder('run-a'));
    const first = stored().expires;
    // act
    const renewed = await vi.waitFor(() => {
      if (stored().expires === first) throw new Error('not renewed yet');
      return stored().expires;
    });
    await mine.release();
    // assess
    expect(Date.parse(renewed)).toBeGreaterThan(Date.parse(first));
    expect(puts.slice(1).every((p) => p.IfMatch !== undefined)).toBe(true);
    expect(objects.has(key)).toBe(false);
  });

  it('a renewal refused with 412 says the lease was lost', async () => {
    // prepare
    const lost: string[] = [];
    const mine = new S3Lease('s3://pulse-lake/pulse', {
      client: new S3Client({ region: 'eu-west-1' }),
      ttlMs: 60,
      here: () => ({ host: 'laptop', now: new Date(), alive: () => true }),
      onLost: (m) => lost.push(m),
    });
    await mine.acquire(holder('run-a'));
    // act: another run replaced it
    objects.set(key, { body: JSON.stringify(holder('run-z')), etag: '"other"' });
    await vi.waitFor(() => expect(lost).toHaveLength(1));
    await mine.release();
    // assess
    expect(lost).toEqual([
      'the lease s3://pulse-lake/pulse/_lock.json was taken by another run after it expired: this run no longer holds the lake',
    ]);
    expect(objects.get(key)!.etag).toBe('"other"');
  });
});
