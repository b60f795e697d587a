import { PulseError, StageError } from '../errors.ts';
import { alertOwners, stageFailureAlert } from './alerts.ts';
import type { StageContext } from './context.ts';
import { curate } from './curate.ts';
import { deliver } from './deliver.ts';
import { audienceReportKey, evaluate, reportKey } from './evaluate.ts';
import type { KpiReport } from '../kpis/types.ts';
import { extract } from './extract.ts';
import { buildMarts } from './marts.ts';
import { render } from './render.ts';
import { stageList, type StageName } from './list.ts';

/**
 * What each stage of the list runs (functions/stages/list.ts holds the order and the sizes). A
 * stage's result is a small summary, never its data: Step Functions passes at most 256 KB between
 * states, and kpis.json alone is 128 KB for the demo; the data is in the lake.
 */
const runners: Record<StageName, (ctx: StageContext) => Promise<unknown>> = {
  extract,
  curate,
  marts: buildMarts,
  evaluate: async (ctx) => evaluateSummary(ctx, await evaluate(ctx)),
  render,
  deliver,
};

export interface EvaluateSummary {
  reportKey: string;
  kpis: number;
  notMeasured: number;
  /** Sliced audiences, each with its own kpis.json. */
  slices: { audience: string; reportKey: string }[];
}

function evaluateSummary(ctx: StageContext, report: KpiReport): EvaluateSummary {
  const kpis = Object.values(report.kpis);
  return {
    reportKey: reportKey(ctx.period.id),
    kpis: kpis.length,
    notMeasured: kpis.filter((k) => k.status === 'not_measured').length,
    slices: ctx.config.audiences.filter((a) => a.slice).map((a) => ({ audience: a.name, reportKey: audienceReportKey(ctx.period.id, a.name) })),
  };
}

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
