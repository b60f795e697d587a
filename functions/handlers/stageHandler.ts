import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { OutOfTimeError, PulseError, retryableErrorName } from '../errors.ts';
import { redact } from '../redaction.ts';
import type { StageContext } from '../stages/context.ts';
import { isDrained, stageFacts, type StageName } from '../stages/list.ts';
import { runStage } from '../stages/runStage.ts';
import type { LakeLock } from '../ports/lakeLock.ts';
import { lambdaContext, type StageEvent } from './lambdaContext.ts';
import { holdLakeForStage, lambdaHost, lambdaLease } from './lakeLease.ts';

/** What a stage Lambda returns to the state machine: small, and what the next stage needs. */
export interface StageResult {
  stage: StageName;
  period: string;
  runId: string;
  seconds: number;
  result: unknown;
  /**
   * Extract, curate and marts: false when the stage stopped for time, its progress saved; the
   * state machine invokes it again until it is true.
   */
  drained?: boolean;
}

/** The part of the Lambda context a stage uses: how long it has left. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

/**
 * Powertools for AWS Lambda, created once per module (per cold start): JSON logs with the stage,
 * run and period on every line, and each run's seconds and failures as CloudWatch metrics in
 * the Pulse namespace (embedded metric format: no API call).
 */
export const logger = new Logger({ serviceName: 'pulse' });
export const metrics = new Metrics({ namespace: 'Pulse', serviceName: 'pulse' });

/** Time kept back at a Lambda's end: the stage stops starting new work this long before it. */
export const deadlineMarginMs = 2 * 60_000;

/**
 * A Lambda handler for one stage: the AWS context, the stage run as the local runner runs it
 * (timed, the owners alerted on a failure), a small result. The event passes through, so the
 * state machine hands each stage the same period and run id. The stage holds the lake's lease while
 * it runs (docs/design.md, "One run per lake"). A test that wires its own context wires its own
 * lease, or none (its lake is its own).
 */
export function stageHandler<R>(
  name: StageName,
  run: (ctx: StageContext) => Promise<R>,
  options: {
    context?: (event: StageEvent, deadline?: number) => Promise<StageContext>;
    lease?: () => LakeLock;
  } = {},
) {
  // Only a stage the list says repeats until drained answers `drained`, and may stop for time.
  const { repeatsUntilDrained } = stageFacts(name);
  const context =
    options.context ??
    ((event: StageEvent, deadline?: number) =>
      lambdaContext(event, process.env, new Date(), deadline, (message) => logger.info(redact(message)), name));
  const lease = options.lease ?? (options.context ? undefined : () => lambdaLease(process.env));
  return async (event: StageEvent, invocation?: InvocationContext): Promise<StageEvent & StageResult> => {
    const deadline = invocation ? Date.now() + invocation.getRemainingTimeInMillis() - deadlineMarginMs : undefined;
    const ctx = await context(event, deadline);
    logger.appendKeys({ stage: name, runId: ctx.runId, period: ctx.period.id });
    metrics.addDimension('stage', name);
    const started = performance.now();
    const lock = lease?.();
    try {
      if (lock) await holdLakeForStage(lock, { runId: ctx.runId, host: lambdaHost(), now: new Date() }, ctx.log);
      const outcome = await runStage(ctx, name, run);
      metrics.addMetric('StageSeconds', MetricUnit.Seconds, outcome.seconds);
      const drained = repeatsUntilDrained ? isDrained(outcome.result) : undefined;
      return {
        ...event,
        stage: name,
        period: ctx.period.id,
        runId: ctx.runId,
        seconds: outcome.seconds,
        result: outcome.result,
        ...(drained !== undefined ? { drained } : {}),
      };
    } catch (error) {
      // Out of time (curate, marts): the engine stopped its query and the stage's progress is
      // saved in the lake; the state machine invokes the stage again, and it resumes there. Only
      // a stage that repeats until drained is invoked again; for another it is a failure.
      if (error instanceof OutOfTimeError && repeatsUntilDrained) {
        logger.info('stage stopped for time; not drained', { reason: error.message });
        const seconds = (performance.now() - started) / 1000;
        metrics.addMetric('StageSeconds', MetricUnit.Seconds, seconds);
        const result = { stoppedForTime: error.message };
        return { ...event, stage: name, period: ctx.period.id, runId: ctx.runId, seconds, result, drained: false };
      }
      // A StageError is retryable when its cause is (errors.ts).
      if (error instanceof PulseError && error.retryable) error.name = retryableErrorName;
      // The state machine, its alarm and the log show the message: no credential in it (functions/redaction.ts).
      if (error instanceof Error) {
        error.message = redact(error.message);
        if (error.stack) error.stack = redact(error.stack);
      }
      metrics.addMetric('StageFailed', MetricUnit.Count, 1);
      logger.error('stage failed', {
        error: error as Error,
        retryable: error instanceof PulseError && error.retryable,
      });
      throw error;
    } finally {
      // A release that fails leaves the lease to expire (five minutes): the stage's outcome stands.
      await lock
        ?.release()
        .catch((error: unknown) => logger.warn('lake lease not released', { error: error as Error }));
      metrics.publishStoredMetrics();
      await ctx.engine.close();
    }
  };
}
