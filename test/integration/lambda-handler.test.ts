import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AthenaEngine } from '../../functions/adapters/aws/athenaEngine.ts';
import { S3Store } from '../../functions/adapters/aws/s3Store.ts';
import { SesTransport } from '../../functions/adapters/aws/ses.ts';
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { OutOfTimeError, PulseError, retryableErrorName } from '../../functions/errors.ts';
import { awsClients } from '../../functions/handlers/awsClients.ts';
import {
  defaultPeriod,
  lambdaAthenaTimings,
  lambdaContext,
  lambdaSettings,
  type StageEvent,
} from '../../functions/handlers/lambdaContext.ts';
import { stageHandler } from '../../functions/handlers/stageHandler.ts';
import { putJson } from '../../functions/ports/objectStore.ts';
import { extract } from '../../functions/stages/extract.ts';
import { serveS3ForTests } from '../support/s3rver.ts';

/**
 * A stage Lambda: its settings from the environment the stack sets, its config from the lake (a
 * real S3-protocol server on loopback), the AWS adapters wired through the one context factory,
 * and what it hands the state machine back: the event, the period, the run id, a small result.
 */
let s3: { stop: () => Promise<void> };
const fixtures = path.resolve(import.meta.dirname, '../fixtures/events');
const env = {
  PULSE_LAKE: 's3://pulse-lake/acme',
  PULSE_CONFIG_KEY: 'config/pulse.config.json',
  PULSE_WORKGROUP: 'pulse',
  PULSE_DATABASE: 'pulse',
};
const config = {
  lake: 's3://pulse-lake/acme',
  timezone: 'America/New_York',
  mail: { transport: 'ses', from: 'pulse@example.com' },
  sources: [{ name: 'desk', type: 'csv', entity: 'tickets', path: 'tickets.csv' }],
};
const zendesk = {
  name: 'zd',
  type: 'zendesk',
  baseUrl: 'https://acme.zendesk.com',
  credentials: {
    email: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:zd-AbCdEf#email',
    token: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:zd-AbCdEf#token',
  },
};
// 22:00 on 31 December in New York: the month just closed there is November.
const now = new Date('2027-01-01T03:00:00Z');
const context = (event: StageEvent, deadline?: number) => lambdaContext(event, env, now, deadline);

beforeAll(async () => {
  s3 = await serveS3ForTests('lambda');
  await putJson(new S3Store(env.PULSE_LAKE), env.PULSE_CONFIG_KEY, config);
});

afterAll(async () => {
  await s3.stop();
});

describe('a stage Lambda', () => {
  it('reads its settings from the environment, naming what is missing', () => {
    expect(lambdaSettings(env)).toEqual({
      lake: 's3://pulse-lake/acme',
      configKey: 'config/pulse.config.json',
      workGroup: 'pulse',
      database: 'pulse',
    });
    expect(() => lambdaSettings({ ...env, PULSE_WORKGROUP: undefined })).toThrow(
      /no PULSE_WORKGROUP: deploy it with the Pulse stack/,
    );
  });

  it('polls Athena as the engine does by default unless the environment names the intervals; a bad one is refused', () => {
    // The stack sets neither variable: the engine's defaults stand.
    expect(lambdaAthenaTimings(env)).toEqual({});
    expect(lambdaAthenaTimings({ ...env, PULSE_ATHENA_POLL_FIRST_MS: '10', PULSE_ATHENA_POLL_MAX_MS: '100' })).toEqual({
      pollFirstMs: 10,
      pollMaxMs: 100,
    });
    expect(() => lambdaAthenaTimings({ ...env, PULSE_ATHENA_POLL_FIRST_MS: '0.5' })).toThrow(
      "the Lambda's environment has PULSE_ATHENA_POLL_FIRST_MS=0.5: a whole number of milliseconds, at least 1",
    );
  });

  it('reports the month just closed in the business zone by default', () => {
    expect(defaultPeriod(now, 'America/New_York')).toBe('2026-11');
    expect(defaultPeriod(now, 'Europe/Helsinki')).toBe('2026-12');
    expect(defaultPeriod(new Date('2026-03-01T00:30:00Z'), 'UTC')).toBe('2026-02');
  });

  it('refuses an explicit period that has not ended in the business zone, naming its end', async () => {
    // 22:00 on 31 December in New York: December has not ended there (it has in UTC).
    await expect(context({ period: '2026-12', runId: 'exec-u' })).rejects.toThrow(
      'period 2026-12 (December 2026) has not ended: it ends 1 Jan 2027 00:00 America/New_York',
    );
    await expect(context({ period: '2026-Q4', runId: 'exec-q' })).rejects.toThrow(/has not ended/);
    expect((await context({ period: '2026-11', runId: 'exec-n' })).period.id).toBe('2026-11');
  });

  it('wires S3, Athena and SES around the config it reads from the lake', async () => {
    const ctx = await context({ runId: 'exec-1' });
    expect(ctx.store).toBeInstanceOf(S3Store);
    expect(ctx.engine).toBeInstanceOf(AthenaEngine);
    expect(ctx.mail).toBeInstanceOf(SesTransport);
    expect(ctx.period.id).toBe('2026-11');
    expect(ctx.runId).toBe('exec-1');
    expect(ctx.config.timezone).toBe('America/New_York');
    // CSV exports are landed from where they are saved (pulse run --stages extract): the Lambda keeps
    // each CSV source so curate reads what was landed for it, and pulls nothing from it.
    expect(ctx.sources.map((s) => `${s.name}/${s.entity}`)).toEqual(['desk/tickets']);
  });

  it('gives a stage the lake and the engine its stage list entry gives it: render no engine, no curated/', async () => {
    const render = await lambdaContext({ runId: 'exec-r' }, env, now, undefined, undefined, 'render');
    expect(render.engine).not.toBeInstanceOf(AthenaEngine);
    await expect(render.engine.query('select 1')).rejects.toThrow(/the render stage runs no query/);
    await expect(render.store.get('curated/tickets/part.parquet')).rejects.toThrow(
      /the render stage may not read curated\/tickets\/part\.parquet/,
    );
    await expect(render.store.get('reports/2026-11/kpis.json')).resolves.toBeUndefined();
    // Extract lands parts for the engine that reads them later: Athena's traits, no statement.
    const extract = await lambdaContext({ runId: 'exec-x' }, env, now, undefined, undefined, 'extract');
    expect([extract.engine.dialect, extract.engine.readsExportsInPlace]).toEqual(['trino', false]);
    const evaluate = await lambdaContext({ runId: 'exec-e' }, env, now, undefined, undefined, 'evaluate');
    expect(evaluate.engine).toBeInstanceOf(AthenaEngine);
  });

  it('pulls an API source in the Lambda, one Source per entity, from the same registry as the CLI', async () => {
    await putJson(new S3Store(env.PULSE_LAKE), 'config/api.json', { ...config, sources: [...config.sources, zendesk] });
    const ctx = await lambdaContext({}, { ...env, PULSE_CONFIG_KEY: 'config/api.json' }, now);
    expect(ctx.sources.map((s) => `${s.name}/${s.entity}`)).toEqual(['desk/tickets', 'zd/tickets', 'zd/surveys']);
  });

  it('refuses a config that would not send through SES, and a lake without a config', async () => {
    await putJson(new S3Store(env.PULSE_LAKE), 'config/outbox.json', { ...config, mail: { transport: 'outbox' } });
    await expect(lambdaContext({}, { ...env, PULSE_CONFIG_KEY: 'config/outbox.json' }, now)).rejects.toThrow(
      /a deployed Pulse sends through SES/,
    );
    await expect(lambdaContext({}, { ...env, PULSE_CONFIG_KEY: 'config/none.json' }, now)).rejects.toThrow(
      /no config there/,
    );
  });

  it('runs its stage and hands the state machine the event, the period, the run id and a small result', async () => {
    const handler = stageHandler('extract', extract, { context });
    const out = await handler({ period: '2026-10', runId: 'exec-2' });
    const landedNothing = [{ source: 'desk', entity: 'tickets', rowsLanded: 0, rawKeys: [] }];
    expect(out).toMatchObject({
      period: '2026-10',
      runId: 'exec-2',
      stage: 'extract',
      result: landedNothing,
      drained: true,
    });
    expect(out.seconds).toBeGreaterThanOrEqual(0);
    expect(Buffer.byteLength(JSON.stringify(out))).toBeLessThan(1024);
  });

  it('names a failure a retry can help so the state machine retries it, and leaves the others as they are', async () => {
    const throttled = stageHandler(
      'extract',
      async () => Promise.reject(new PulseError('Athena throttled', { retryable: true })),
      { context },
    );
    await expect(throttled({ runId: 'exec-3' })).rejects.toMatchObject({
      name: retryableErrorName,
      message: 'stage extract failed: Athena throttled',
    });
    const broken = stageHandler('extract', async () => Promise.reject(new PulseError('bad mapping')), { context });
    await expect(broken({ runId: 'exec-4' })).rejects.toMatchObject({
      name: 'StageError',
      message: 'stage extract failed: bad mapping',
    });
  });

  it('throws and logs a failure with no credential in it, whatever the cause quoted', async () => {
    // A cause quoting a server's echo of a Basic header Pulse never learnt (the shape is enough).
    const basic = Buffer.from('ops@acme.example/token:zd-l4mbda-t0ken').toString('base64');
    const leaky = stageHandler(
      'extract',
      async () => Promise.reject(new PulseError(`refused (got Authorization: Basic ${basic})`)),
      { context },
    );
    const failure = (await leaky({ runId: 'exec-5' }).catch((e: unknown) => e)) as Error;
    expect(failure.message).toBe('stage extract failed: refused (got Authorization: Basic […])');
    expect(failure.stack).not.toContain(basic);
  });

  it('says a stage stopped for time is not drained, alerting no one; one that does not resume fails', async () => {
    const sent: unknown[] = [];
    const mail = { send: async (m: unknown) => void sent.push(m) } as never;
    const quiet = async (event: StageEvent, deadline?: number) => ({ ...(await context(event, deadline)), mail });
    const outOfTime = async () => Promise.reject(new OutOfTimeError("the stage's deadline has passed"));
    const resumes = stageHandler('curate', outOfTime, { context: quiet });
    const out = await resumes({ period: '2026-10', runId: 'exec-6' }, { getRemainingTimeInMillis: () => 1_000 });
    const result = { stoppedForTime: "the stage's deadline has passed" };
    expect(out).toMatchObject({ stage: 'curate', drained: false, result });
    expect(sent).toEqual([]);
    const once = stageHandler('evaluate', outOfTime, { context: quiet });
    await expect(once({ period: '2026-10', runId: 'exec-7' })).rejects.toBeInstanceOf(OutOfTimeError);
  });

  it('takes the state machine input as the schedule renders it: the month before the scheduled time, however late the run', async () => {
    // test/fixtures/events: what the Start state hands the first Lambda after the schedule fired
    // (<aws.scheduler.scheduled-time> substituted), and what the second one gets from the first.
    const scheduled = JSON.parse(readFileSync(path.join(fixtures, 'scheduled-run.json'), 'utf8')) as StageEvent;
    const late = (event: StageEvent) => lambdaContext(event, env, new Date('2026-12-03T09:00:00Z'));
    const first = await stageHandler('extract', extract, { context: late })(scheduled);
    // 04:00 UTC on 1 December is 23:00 on 30 November in New York: the month just ended there is October.
    expect(first).toMatchObject({ period: '2026-10', runId: scheduled.runId, scheduledTime: scheduled.scheduledTime });
    const next = JSON.parse(readFileSync(path.join(fixtures, 'after-extract.json'), 'utf8')) as StageEvent;
    const second = await stageHandler('extract', extract, { context: late })(next);
    expect(second).toMatchObject({
      period: '2026-11',
      runId: next.runId,
      stage: 'extract',
      result: [{ source: 'desk', rowsLanded: 0 }],
    });
  });

  it('makes its AWS clients once per module: two invocations send through the same S3 client, and share Athena and SES', async () => {
    // The handler as deployed, with the default context reading process.env.
    const saved = { ...process.env };
    Object.assign(process.env, env);
    const senders = new Set<unknown>();
    const send = S3Client.prototype.send;
    const spy = vi.spyOn(S3Client.prototype, 'send').mockImplementation(function (this: S3Client, ...args: unknown[]) {
      senders.add(this);
      return (send as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof send);
    try {
      const handler = stageHandler('extract', extract);
      await handler({ period: '2026-10', runId: 'exec-6' });
      const made = awsClients.count();
      await handler({ period: '2026-10', runId: 'exec-7' });
      // Each invocation read the config from the lake: two reads at least, one client.
      expect(spy.mock.calls.length).toBeGreaterThanOrEqual(2);
      expect([...senders]).toEqual([awsClients.s3()]);
      expect(awsClients.count()).toBe(made);
    } finally {
      spy.mockRestore();
      process.env = saved;
    }
    // The engine and the mail of two contexts hold the module's clients (private fields, read here only).
    const client = (o: object) => (o as { client: unknown }).client;
    const [a, b] = [
      await lambdaContext({}, env, now, undefined, undefined, 'evaluate'),
      await lambdaContext({}, env, now, undefined, undefined, 'evaluate'),
    ];
    expect(client(a.engine)).toBe(awsClients.athena());
    expect(client(b.engine)).toBe(client(a.engine));
    expect(client(b.mail)).toBe(client(a.mail));
    // Closing an engine (each invocation's end) does not destroy the shared client.
    const destroy = vi.spyOn(AthenaClient.prototype, 'destroy');
    await a.engine.close();
    expect(destroy).not.toHaveBeenCalled();
    destroy.mockRestore();
  });

  it('logs JSON lines with the stage, run and period, and emits its seconds as a Pulse metric (Powertools)', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      await stageHandler('extract', extract, { context })({ period: '2026-10', runId: 'exec-5' });
    } finally {
      spy.mockRestore();
    }
    const lines = written
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const metric = lines.find((l) => '_aws' in l && 'StageSeconds' in l);
    expect(metric).toMatchObject({
      stage: 'extract',
      service: 'pulse',
      _aws: { CloudWatchMetrics: [{ Namespace: 'Pulse' }] },
    });
    expect(typeof metric!.StageSeconds).toBe('number');
  });
});
