import { afterEach, describe, expect, it, vi } from 'vitest';
import { configSchema } from '../../../functions/config/schema.ts';
import { retryableErrorName } from '../../../functions/errors.ts';
import { stageList } from '../../../functions/stages/list.ts';
import { handler as periodHandler } from '../../../functions/handlers/period.ts';
import { scheduleInput } from '../../../infra/pipeline.ts';
import { startExecution, validateDefinition } from './interpreter.ts';
import { synthesizePipeline } from './definition.ts';

/**
 * The state machine the stack synthesizes, validated and run by the interpreter with stand-in
 * Lambdas: the stages in order, extract again until drained, a retryable failure retried with
 * the stack's backoff, and any other failure alerting the owners and failing the run.
 */
const config = configSchema.parse({
  lake: 's3://unused',
  timezone: 'Europe/Helsinki',
  owners: ['ops@example.com'],
  mail: { transport: 'ses', from: 'pulse@example.com' },
  sources: [{ name: 'desk', type: 'csv', entity: 'tickets', path: 'tickets.csv' }],
});
const { definition, starter, functions } = synthesizePipeline(config);
const stageOf = new Map(functions.map((f) => [f.arn, f.stage]));

/** Stand-in Lambdas: each returns the event with its stage, as stageHandler does; `behave` may throw or add fields. */
function stages(behave: (stage: string, call: number) => Record<string, unknown> | void = () => {}) {
  const calls: { stage: string; event: unknown }[] = [];
  const published: unknown[] = [];
  return {
    calls,
    published,
    options: {
      name: '2026-10',
      invokeLambda: async (arn: string, event: unknown) => {
        const stage = stageOf.get(arn)!;
        calls.push({ stage, event });
        const extra = behave(stage, calls.filter((c) => c.stage === stage).length);
        return { ...(event as object), stage, ...extra };
      },
      services: { 'sns:publish': async (p: unknown) => (published.push(p), { MessageId: 'alert-1' }) },
    },
  };
}

const failure = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('the synthesized state machine', () => {
  it('is valid ASL, and every Task names a synthesized Lambda or SNS', () => {
    validateDefinition(definition);
    const resources = Object.values(definition.States).flatMap((s) => (s.Type === 'Task' ? [String(s.Resource)] : []));
    expect(resources.filter((r) => !stageOf.has(r) && r !== 'arn:aws:states:::sns:publish')).toEqual([]);
    expect(new Set(resources.filter((r) => stageOf.has(r))).size).toBe(stageList.length);
  });

  it('runs the stages in the list order, each given the starter input with the run id', async () => {
    const { calls, options } = stages();
    const result = await startExecution(
      definition,
      { period: '2026-10', scheduledTime: '2026-11-01T05:00:00Z' },
      options,
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(calls.map((c) => c.stage)).toEqual(stageList.map((s) => s.name));
    expect(calls[0]!.event).toEqual({ period: '2026-10', scheduledTime: '2026-11-01T05:00:00Z', runId: '2026-10' });
    expect(result.path.at(-1)).toBe('Done');
  });

  it('refuses a run not named for its period, before any stage: a period runs once', async () => {
    const { calls, options } = stages();
    const unnamed = await startExecution(
      definition,
      { period: '2026-10', scheduledTime: null },
      {
        ...options,
        name: 'a1b2c3d4-uuid',
      },
    );
    const scheduledWithoutPeriod = await startExecution(definition, { ...scheduleInput, period: null }, options);
    expect(unnamed).toMatchObject({ status: 'FAILED', error: 'RunNotNamedForItsPeriod' });
    expect(unnamed.cause).toContain('start a run with its period as the execution name');
    expect(scheduledWithoutPeriod).toMatchObject({ status: 'FAILED', error: 'RunNotNamedForItsPeriod' });
    expect(calls).toEqual([]);
  });

  it('runs extract again while it says it is not drained', async () => {
    const { calls, options } = stages((stage, call) => (stage === 'extract' ? { drained: call >= 3 } : undefined));
    const result = await startExecution(definition, { period: '2026-10', scheduledTime: null }, options);
    expect(result.status).toBe('SUCCEEDED');
    expect(calls.map((c) => c.stage).slice(0, 4)).toEqual(['extract', 'extract', 'extract', 'curate']);
  });

  it('retries a retryable failure three times with the stack backoff (30, 60, 120 s, counted not slept)', async () => {
    const { calls, options } = stages((stage, call) => {
      if (stage === 'curate' && call <= 3) throw failure(retryableErrorName, 'Athena: too many queries');
    });
    const result = await startExecution(definition, { period: '2026-10', scheduledTime: null }, options);
    expect(result.status).toBe('SUCCEEDED');
    expect(calls.filter((c) => c.stage === 'curate')).toHaveLength(4);
    expect(result.retries.map((r) => [r.state, r.seconds])).toEqual([
      ['Run curate', 30],
      ['Run curate', 60],
      ['Run curate', 120],
    ]);
  });

  it('on any other failure, alerts the owners with the stage and the cause, and fails the run', async () => {
    const { calls, published, options } = stages((stage) => {
      if (stage === 'marts') throw failure('StageError', 'marts failed: no curated rows');
    });
    const result = await startExecution(definition, { period: '2026-10', scheduledTime: null }, options);
    expect(result).toMatchObject({ status: 'FAILED', error: 'PulseRunFailed' });
    expect(calls.map((c) => c.stage)).toEqual(['extract', 'curate', 'marts']);
    expect(published).toHaveLength(1);
    const alert = published[0] as { Subject: string; Message: string; TopicArn: string };
    expect(alert.Subject).toBe('Pulse: the marts stage failed');
    expect(alert.Message).toMatch(
      /^Pulse run 2026-10 failed in the marts stage: \{"errorType":"StageError","errorMessage":"marts failed/,
    );
    expect(alert.TopicArn).toMatch(/^arn:aws:sns:us-east-1:000000000000:PipelineAlarms/);
  });
});

/**
 * StartExecution as the Step Functions API reference says it behaves: a name is unique per state
 * machine for 90 days; the same name and input while that execution is open succeeds without a
 * second execution; another input, or a closed execution, is ExecutionAlreadyExists.
 */
class StepFunctionsNames {
  readonly started: { name: string; input: string }[] = [];
  private readonly open = new Set<string>();
  start = async (parameters: unknown) => {
    const { Name: name, Input: input } = parameters as { Name: string; Input: unknown };
    const text = JSON.stringify(input);
    const earlier = this.started.find((e) => e.name === name);
    if (earlier && !(this.open.has(name) && earlier.input === text))
      throw Object.assign(new Error(`Execution Already Exists: '${name}'`), {
        name: 'StepFunctions.ExecutionAlreadyExistsException',
      });
    if (!earlier) {
      this.started.push({ name, input: text });
      this.open.add(name);
    }
    return { ExecutionArn: `arn:aws:states:us-east-1:000000000000:execution:pipeline:${name}` };
  };
  close = (name: string) => this.open.delete(name);
}

describe('the monthly starter', () => {
  const run = (names: StepFunctionsNames, scheduledTime: string, zone = 'Europe/Helsinki') =>
    startExecution(
      starter,
      { ...scheduleInput, scheduledTime },
      {
        invokeLambda: async (_arn, event) => {
          vi.stubEnv('PULSE_TIMEZONE', zone);
          return periodHandler(event as { scheduledTime: string });
        },
        services: { 'states:startExecution': names.start },
      },
    );
  afterEach(() => vi.unstubAllEnvs());

  it('starts the pipeline named by the period, and never a second run of that period', async () => {
    // prepare: the schedule fires at 06:00 on 1 November in Helsinki (04:00 UTC)
    const names = new StepFunctionsNames();
    // act: the schedule, its retry while the run is open, then (the run closed) the schedule again
    const first = await run(names, '2026-11-01T04:00:00Z');
    const retried = await run(names, '2026-11-01T04:00:00Z');
    names.close('2026-10');
    const late = await run(names, '2026-11-01T04:00:00Z');
    const byHand = await names.start({ Name: '2026-10', Input: { period: '2026-10' } }).catch((e: Error) => e.name);
    // assess
    expect(names.started).toEqual([
      { name: '2026-10', input: JSON.stringify({ period: '2026-10', scheduledTime: '2026-11-01T04:00:00Z' }) },
    ]);
    expect([first.status, retried.status, late.status]).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(late.path.at(-1)).toBe('Period already run');
    expect(byHand).toBe('StepFunctions.ExecutionAlreadyExistsException');
  });

  it('names the run by the month before the schedule fired in the business zone, not in UTC', async () => {
    // prepare: 06:00 on 1 December in Auckland (UTC+13) is 17:00 on 30 November in UTC
    const names = new StepFunctionsNames();
    // act
    await run(names, '2026-11-30T17:00:00Z', 'Pacific/Auckland');
    // assess: November, where the month before the UTC date would be October
    expect(names.started.map((e) => e.name)).toEqual(['2026-11']);
  });
});
