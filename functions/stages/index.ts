import type { StageContext } from './context.ts';
import { curate } from './curate.ts';
import { deliver } from './deliver.ts';
import { evaluateStage } from './evaluate.ts';
import { extract } from './extract.ts';
import { buildMarts } from './marts.ts';
import { render } from './render.ts';
import { stageList, type StageName } from './list.ts';
import { runStage, type StageOutcome } from './runStage.ts';

/**
 * What each stage of the list runs (functions/stages/list.ts holds the order and the sizes). A
 * stage's result is a small summary, never its data: Step Functions passes at most 256 KB between
 * states, and kpis.json alone is 128 KB for the demo; the data is in the lake.
 */
const runners: Record<StageName, (ctx: StageContext) => Promise<unknown>> = {
  extract,
  curate,
  marts: buildMarts,
  evaluate: evaluateStage,
  render,
  deliver,
};

export const stages = stageList.map((stage) => ({ ...stage, run: runners[stage.name] }));
export { stageNames, type StageName } from './list.ts';

export type { StageOutcome } from './runStage.ts';

/** Runs the named stages (all by default) in the list's order; a failure names its stage. */
export async function runStages(ctx: StageContext, only?: readonly StageName[]): Promise<StageOutcome[]> {
  const outcomes: StageOutcome[] = [];
  for (const stage of stages) {
    if (only && !only.includes(stage.name)) continue;
    outcomes.push(await runStage(ctx, stage.name, stage.run));
  }
  return outcomes;
}
