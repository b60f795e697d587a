import { PulseError, StageError } from '../errors.ts';
import { alertOwners, stageFailureAlert } from './alerts.ts';
import type { StageContext } from './context.ts';
import { curate } from './curate.ts';
import { deliver } from './deliver.ts';
import { evaluate } from './evaluate.ts';
import { extract } from './extract.ts';
import { buildMarts } from './marts.ts';
import { render } from './render.ts';

/**
 * The one ordered list of stages: the local runner walks it, and the state machine the CDK
 * stack builds is generated from it, so the two cannot drift apart.
 */
export const stages = [
  { name: 'extract', runsAs: 'function', run: extract },
  { name: 'curate', runsAs: 'query', run: curate },
  { name: 'marts', runsAs: 'query', run: buildMarts },
  { name: 'evaluate', runsAs: 'function', run: evaluate },
  { name: 'render', runsAs: 'function', run: render },
  { name: 'deliver', runsAs: 'function', run: deliver },
] as const;

export type StageName = (typeof stages)[number]['name'];
export const stageNames: StageName[] = stages.map((s) => s.name);

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
