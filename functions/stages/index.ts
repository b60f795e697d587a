import type { StageContext } from './context.ts';
import { curate } from './curate.ts';
import { deliver } from './deliver.ts';
import { evaluateStage } from './evaluate.ts';
import { extract } from './extract.ts';
import { buildMarts } from './marts.ts';
import { isDrained, stageList, type StageName } from './list.ts';
import { runStage, type StageOutcome } from './runStage.ts';
import { stageParts } from './stageAccess.ts';

/**
 * What each stage of the list runs (functions/stages/list.ts holds the order, the facts and the
 * sizes). A stage's result is a small summary, never its data: Step Functions passes at most
 * 256 KB between states, and kpis.json alone is 128 KB for the demo; the data is in the lake.
 */
const runners: Record<StageName, (ctx: StageContext) => Promise<unknown>> = {
  extract,
  curate,
  marts: buildMarts,
  evaluate: evaluateStage,
  render: async (ctx) => (await renderModule()).render(ctx),
  deliver,
};

let renderLoad: Promise<typeof import('./render.ts')> | undefined;

/**
 * The render stage is loaded when first wanted: its libraries (Vega, MJML, ExcelJS, resvg) take
 * about two seconds to load, which a run starting with earlier stages spends while DuckDB works.
 */
function renderModule(): Promise<typeof import('./render.ts')> {
  renderLoad ??= import('./render.ts');
  return renderLoad;
}

export const stages = stageList.map((stage) => ({ ...stage, run: runners[stage.name] }));
export { stageNames, type StageName } from './list.ts';

export type { StageOutcome } from './runStage.ts';

/**
 * Runs the named stages (all by default) in the list's order, as the state machine does: each
 * with the lake prefixes the list gives it and, if it does not query, an engine that refuses;
 * a stage that repeats until drained is run again while it says it is not. A failure names its
 * stage.
 */
export async function runStages(ctx: StageContext, only?: readonly StageName[]): Promise<StageOutcome[]> {
  const outcomes: StageOutcome[] = [];
  // Start loading render now, so it loads while the stages before it wait on the engine; a
  // failure to load is reported by the render stage itself, when it awaits the same promise.
  if (!only || only.includes('render')) renderModule().catch(() => undefined);
  for (const stage of stages) {
    if (only && !only.includes(stage.name)) continue;
    const stageCtx: StageContext = { ...ctx, ...stageParts(ctx, stage) };
    let outcome: StageOutcome;
    do {
      outcome = await runStage(stageCtx, stage.name, stage.run);
      outcomes.push(outcome);
    } while (stage.repeatsUntilDrained && !isDrained(outcome.result));
  }
  return outcomes;
}
