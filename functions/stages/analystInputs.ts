import { getJson } from '../ports/objectStore.ts';
import type { AnalystInputs, KpiQueries } from '../report/analyst/model.ts';
import type { StageContext } from './context.ts';
import { lakeKeys } from '../model/lakeKeys.ts';
import { lakeInventory } from './lakeInventory.ts';

/** What the analyst report reads besides kpis.json: the lake's inventory and the queries evaluate ran. */
export async function analystInputs(ctx: StageContext): Promise<AnalystInputs> {
  const key = lakeKeys.queries(ctx.period.id);
  const queries = await getJson<KpiQueries>(ctx.store, key);
  if (queries !== undefined && !Array.isArray(queries?.queries)) {
    throw new Error(
      `${key} is not a list of queries ({"queries": [{"file", "sql", "kpis"}]}): run evaluate for ${ctx.period.id} again`,
    );
  }
  return { inventory: await lakeInventory(ctx), queries: queries ?? null };
}
