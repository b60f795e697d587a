import { rmSync } from 'node:fs';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { loadConfig, resolveLake } from '../../functions/config/load.ts';
import type { PulseConfig } from '../../functions/config/schema.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { KpiReport, MeasuredKpi } from '../../functions/kpis/types.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { curate } from '../../functions/stages/curate.ts';
import { evaluate } from '../../functions/stages/evaluate.ts';
import { extract } from '../../functions/stages/extract.ts';
import { buildMarts } from '../../functions/stages/marts.ts';

/**
 * A fixture's lake built anew, from extract to evaluate, for the SQL tests: a fixture config, a
 * period, optionally the lake's folder and changes to the config (audiences, slices).
 */
export async function buildFixtureLake(
  fixture: string,
  period: string,
  options: { lake?: string; configure?: (config: PulseConfig) => void; now?: Date } = {},
): Promise<{ ctx: StageContext; report: KpiReport }> {
  const loaded = await loadConfig(fixture);
  if (options.lake) loaded.config.lake = options.lake;
  options.configure?.(loaded.config);
  rmSync(resolveLake(loaded), { recursive: true, force: true });
  const ctx = await createLocalContext(loaded, parsePeriod(period), {
    quiet: true,
    ...(options.now ? { now: options.now } : {}),
  });
  await extract(ctx);
  await curate(ctx);
  await buildMarts(ctx);
  return { ctx, report: await evaluate(ctx) };
}

/** A KPI that must have been measured; the test fails naming it (and why) when it was not. */
export function measured(report: KpiReport, id: string): MeasuredKpi {
  const result = report.kpis[id];
  if (!result || result.status === 'not_measured')
    throw new Error(`${id} not measured${result?.notMeasured ? `: ${result.notMeasured}` : ''}`);
  return result;
}
