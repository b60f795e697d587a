import { PulseError, StageError } from '../errors.ts';
import { alertOwners, stageFailureAlert } from './alerts.ts';
import type { StageContext } from './context.ts';
import { curate } from './curate.ts';
import { deliver } from './deliver.ts';
import { evaluate } from './evaluate.ts';
import { extract } from './extract.ts';
import { buildMarts } from './marts.ts';
import { render } from './render.ts';
import { stageList, type StageName } from './list.ts';

/** What each stage of the list runs (functions/stages/list.ts holds the order and the sizes). */
const runners: Record<StageName, (ctx: StageContext) => Promise<unknown>> = {
  extract,
  curate,
  marts: buildMarts,
  evaluate,
  render,
  deliver,
};

export const stages = stageList.map((stage) => ({ ...stage, run: runners[stage.name] }));
export { stageNames, type StageName } from './list.ts';

export interface StageOutcome {
  stage: StageName;
  seconds: number;
  result: unknown;
}

/** Runs the named stages (all by default) in the list's order; a failure names its stage. */
export async function runStages(ctx: StageContext, only?: readonly StageName[]): Promise<StageOutcome[]> {
  const outcomes: StageOutcome[] = [];
  for (const stage of stages) {
    if (only && !only.includes(stage.name)) continue;
    const started = performance.now();
    try {
      const result = await stage.run(ctx);
      outcomes.push({ stage: stage.name, seconds: (performance.now() - started) / 1000, result });
    } catch (cause) {
      // A run that fails tells the owners (DESIGN.md, owners), unless the stage already did.
      let ownersAlerted = cause instanceof PulseError && cause.ownersAlerted === true;
      if (!ownersAlerted) ownersAlerted = (await alertOwners(ctx, stageFailureAlert(ctx, stage.name, cause))).sent.length > 0;
      throw new StageError(stage.name, { cause, ownersAlerted });
    }
  }
  return outcomes;
}
