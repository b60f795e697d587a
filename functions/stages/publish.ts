import type { AudienceConfig } from '../config/schema.ts';
import { lakeKeys } from '../model/lakeKeys.ts';
import { getJson, putJson } from '../ports/objectStore.ts';
import type { AnalystInputs } from '../report/analyst/model.ts';
import type { FinanceInputs } from '../report/finance/model.ts';
import { analystInputs } from './analystInputs.ts';
import type { StageContext } from './context.ts';
import { financeInputs } from './financeInputs.ts';
import { registerLake } from './lake.ts';

/** Where an audience's report inputs are kept, by the kind of report that reads them (none for executive). */
export function reportInputsKey(period: string, audience: AudienceConfig): string | undefined {
  switch (audience.report) {
    case 'finance':
      return lakeKeys.financeInputs(period, audience.name);
    case 'analyst':
      return lakeKeys.analystInputs(period, audience.name);
    case 'executive':
      return undefined;
  }
}

/**
 * The end of evaluate: each audience's report inputs besides kpis.json, read from the lake while
 * evaluate has it registered, written to reports/<period>/<audience>/ (docs/design.md, storage
 * layout). Render then reads these files and nothing else, so it needs no query engine, and the
 * pipeline has no backward edge where render registers the lake and queries it again.
 */
export async function publishReportInputs(ctx: StageContext): Promise<string[]> {
  const written: string[] = [];
  let inventory: AnalystInputs | undefined;
  for (const audience of ctx.config.audiences) {
    const key = reportInputsKey(ctx.period.id, audience);
    if (!key) continue;
    if (audience.report === 'finance') await putJson(ctx.store, key, await financeInputs(ctx, audience.slice));
    // The inventory is of the whole lake, whatever the audience's slice: one reading serves all.
    else await putJson(ctx.store, key, (inventory ??= await analystInputs(ctx)));
    written.push(key);
  }
  // Leave the lake registered unsliced for the stages that follow in this process.
  if (ctx.config.audiences.some((a) => a.report === 'finance' && a.slice)) await registerLake(ctx);
  return written;
}

/** The inputs render reads for a finance audience, as evaluate wrote them. */
export async function publishedFinanceInputs(ctx: StageContext, audience: AudienceConfig): Promise<FinanceInputs> {
  return readPublished<FinanceInputs>(ctx, lakeKeys.financeInputs(ctx.period.id, audience.name));
}

/** The inputs render reads for an analyst audience, as evaluate wrote them. */
export async function publishedAnalystInputs(ctx: StageContext, audience: AudienceConfig): Promise<AnalystInputs> {
  return readPublished<AnalystInputs>(ctx, lakeKeys.analystInputs(ctx.period.id, audience.name));
}

async function readPublished<T>(ctx: StageContext, key: string): Promise<T> {
  const inputs = await getJson<T>(ctx.store, key);
  if (inputs === undefined) throw new Error(`${key} does not exist: run the evaluate stage first`);
  return inputs;
}
