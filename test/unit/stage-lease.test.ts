import { S3Client } from '@aws-sdk/client-s3';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { S3Lease } from '../../functions/adapters/aws/s3Lease.ts';
import { retryableErrorName } from '../../functions/errors.ts';
import { lambdaHost } from '../../functions/handlers/lakeLease.ts';
import type { StageEvent } from '../../functions/handlers/lambdaContext.ts';
import { stageHandler } from '../../functions/handlers/stageHandler.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { LockHolder } from '../../functions/ports/lakeLock.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { conditionalBucket } from '../support/conditionalBucket.ts';

/**
 * A stage Lambda holds the deployed lake's lease while its stage runs (docs/design.md, "One run
 * per lake"), so two executions for different periods, or a `pulse run` on the s3:// lake, never
 * write it at once. The bucket answers conditional puts as S3 does (412 PreconditionFailed).
 */
const { s3, objects, puts, reset } = conditionalBucket();
afterAll(() => s3.restore());
beforeEach(reset);

const key = '_lock.json';
const lease = () =>
  new S3Lease('s3://pulse-lake/', {
    client: new S3Client({ region: 'eu-north-1' }),
    here: () => ({ host: 'lambda sandbox-2', now: new Date(), alive: () => true }),
  });
/** The part of a stage context the handler uses: the run, the period, the owners to alert (none), the engine. */
const context = async (event: StageEvent) =>
  ({
    runId: event.runId!,
    period: parsePeriod(event.period!),
    config: { owners: [] },
    log: () => {},
    engine: { close: async () => {} },
  }) as unknown as StageContext;
const heldBy = (holder: LockHolder) => objects.set(key, { body: JSON.stringify(holder), etag: '"theirs"' });
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

describe('a stage Lambda and the lake lease', () => {
  it('holds the lease, named for its execution, while its stage runs, and gives it back at the end', async () => {
    // prepare
    let during: LockHolder | undefined;
    const handler = stageHandler(
      'curate',
      async () => {
        during = JSON.parse(objects.get(key)!.body) as LockHolder;
        return { drained: true };
      },
      { context, lease },
    );
    // act
    const out = await handler({ period: '2026-10', runId: '2026-10' });
    // assess
    expect(out).toMatchObject({ stage: 'curate', runId: '2026-10', drained: true });
    expect(during).toMatchObject({ runId: '2026-10', pid: process.pid });
    expect(puts[0]).toMatchObject({ Bucket: 'pulse-lake', Key: key, IfNoneMatch: '*' });
    expect(objects.has(key)).toBe(false);
  });

  it('runs nothing while another run holds the lake, and fails retryably naming the holder and since when', async () => {
    // prepare: a `pulse run` on the s3:// lake holds it
    heldBy({
      runId: 'r-20261101-0559',
      pid: 77,
      host: 'laptop',
      since: '2026-11-01T05:59:00.000Z',
      expires: inAnHour(),
    });
    let ran = false;
    const handler = stageHandler('marts', async () => void (ran = true), { context, lease });
    // act
    const failure = (await handler({ period: '2026-09', runId: '2026-09' }).catch((e: unknown) => e)) as Error;
    // assess
    expect(ran).toBe(false);
    expect(failure.name).toBe(retryableErrorName);
    expect(failure.message).toBe(
      'the lake is held by run r-20261101-0559 (pid 77 on laptop) since 2026-11-01T05:59:00.000Z ' +
        '(s3://pulse-lake/_lock.json): one run per lake at a time, so this stage did nothing; the state ' +
        'machine tries it again, and the execution fails if the lake stays held',
    );
    expect(JSON.parse(objects.get(key)!.body)).toMatchObject({ runId: 'r-20261101-0559' });
  });

  it('a stage retried after its own invocation died takes back the lease that names its execution', async () => {
    // prepare: this execution's earlier invocation timed out holding the lease
    heldBy({
      runId: '2026-10',
      pid: 8,
      host: 'lambda sandbox-1',
      since: '2026-11-01T06:00:00.000Z',
      expires: inAnHour(),
    });
    const handler = stageHandler('marts', async () => ({ drained: true }), { context, lease });
    // act
    const out = await handler({ period: '2026-10', runId: '2026-10' });
    // assess
    expect(out).toMatchObject({ runId: '2026-10', drained: true });
    expect(puts.map((p) => p.IfMatch ?? p.IfNoneMatch)).toEqual(['*', '"theirs"']);
    expect(objects.has(key)).toBe(false);
  });

  it('gives the lease back when the stage fails', async () => {
    const handler = stageHandler('evaluate', async () => Promise.reject(new Error('boom')), { context, lease });
    await expect(handler({ period: '2026-10', runId: '2026-10' })).rejects.toThrow('stage evaluate failed: boom');
    expect(objects.has(key)).toBe(false);
  });

  it("names the holder by the Lambda's sandbox: its function and log stream", () => {
    const env = { AWS_LAMBDA_FUNCTION_NAME: 'pulse-curate', AWS_LAMBDA_LOG_STREAM_NAME: '2026/11/01/[$LATEST]abc' };
    expect(lambdaHost(env)).toBe('lambda pulse-curate 2026/11/01/[$LATEST]abc');
  });
});
