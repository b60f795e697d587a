import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../functions/config/schema.ts';
import { retryableErrorName } from '../../../functions/errors.ts';
import { stageList } from '../../../functions/stages/list.ts';
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
  owners: ['ops@example.com'],
  mail: { transport: 'ses', from: 'pulse@example.com' },
  sources: [{ name: 'desk', type: 'csv', entity: 'tickets', path: 'tickets.csv' }],
});
const { definition, functions } = synthesizePipeline(config);
const stageOf = new Map(functions.map((f) => [f.arn, f.stage]));

/** Stand-in Lambdas: each returns the event with its stage, as stageHandler does; `behave` may throw or add fields. */
function stages(behave: (stage: string, call: number) => Record<string, unknown> | void = () => {}) {
  const calls: { stage: string; event: unknown }[] = [];
  const published: unknown[] = [];
  return {
    calls,
    published,
    options: {
      name: 'exec-1',
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

  it('runs the stages in the list order, each given the schedule input with the run id', async () => {
    const { calls, options } = stages();
    const result = await startExecution(
      definition,
      { ...scheduleInput, scheduledTime: '2026-11-01T05:00:00Z' },
      options,
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(calls.map((c) => c.stage)).toEqual(stageList.map((s) => s.name));
    expect(calls[0]!.event).toEqual({ period: null, scheduledTime: '2026-11-01T05:00:00Z', runId: 'exec-1' });
    expect(result.path.at(-1)).toBe('Done');
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
      /^Pulse run exec-1 failed in the marts stage: \{"errorType":"StageError","errorMessage":"marts failed/,
    );
    expect(alert.TopicArn).toMatch(/^arn:aws:sns:us-east-1:000000000000:PipelineAlarms/);
  });
});
