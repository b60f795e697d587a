import { OutOfTimeError, PulseError, StageError } from '../errors.ts';
import { alertOwners, stageFailureAlert } from './alerts.ts';
import type { StageContext } from './context.ts';
import type { StageName } from './list.ts';

export interface StageOutcome {
  stage: StageName;
  seconds: number;
  result: unknown;
}

/**
 * Runs one stage, timed. A failure tells the owners (docs/design.md, owners) unless the stage already
 * did, and comes out as a StageError naming the stage. The local runner and each Lambda handler
 * run a stage through here, so a failure is reported the same way wherever it happens. A stage
 * out of time (OutOfTimeError) passes through as it is: its handler says it is not drained.
 */
export async function runStage(
  ctx: StageContext,
  name: StageName,
  run: (ctx: StageContext) => Promise<unknown>,
): Promise<StageOutcome> {
  const started = performance.now();
  try {
    const result = await run(ctx);
    return { stage: name, seconds: (performance.now() - started) / 1000, result };
  } catch (cause) {
    // Stopped for time, its progress saved: not a failure, and no owner is told.
    if (cause instanceof OutOfTimeError) throw cause;
    let ownersAlerted = cause instanceof PulseError && cause.ownersAlerted === true;
    if (!ownersAlerted) ownersAlerted = (await alertOwners(ctx, stageFailureAlert(ctx, name, cause))).sent.length > 0;
    throw new StageError(name, { cause, ownersAlerted });
  }
}
