import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { S3Lease } from '../../functions/adapters/aws/s3Lease.ts';
import type { Here, LockHolder } from '../../functions/ports/lakeLock.ts';
import { conditionalBucket } from '../support/conditionalBucket.ts';

/**
 * The S3 lease at the SDK boundary, against a bucket that answers conditional puts as the S3 API
 * reference says PutObject does (test/support/conditionalBucket.ts).
 */
const { s3, objects, puts, reset } = conditionalBucket();
afterAll(() => s3.restore());
beforeEach(reset);

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

  it('takes back a live lease that names its own run (an invocation of it that died), with If-Match', async () => {
    // prepare: run-a's first Lambda sandbox took the lease and was killed before it gave it back
    await lease('sandbox-1').acquire(holder('run-a', 'sandbox-1'));
    const etag = objects.get(key)!.etag;
    // act: the state machine retries run-a's stage in another sandbox, well before the expiry
    const retried = await lease('sandbox-2').acquire(holder('run-a', 'sandbox-2'));
    // assess
    expect(retried).toMatchObject({ held: true, takenOver: { runId: 'run-a', host: 'sandbox-1' } });
    expect(puts.at(-1)).toMatchObject({ IfMatch: etag });
    expect(stored()).toMatchObject({ runId: 'run-a', host: 'sandbox-2' });
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
