import { ident, sqlString } from '../dialect/sqlText.ts';
import type { KpiDefinition } from '../kpis/catalog.ts';
import { entities, type EntityName } from '../model/index.ts';
import type { QueryEngine } from '../ports/queryEngine.ts';

/** The first and last month (YYYY-MM) in which an entity holds a record. */
export interface DataSpan {
  first: string;
  last: string;
}

/**
 * Each month-partitioned curated entity's span, from the partitions its rows sit in (one cheap
 * aggregate, as the lake inventory reads). An entity with no rows has none. Entities kept whole
 * (agents, customers, subscriptions) have no month: their history is in their own dates.
 * Under a slice, the curated names are the slice's views, so the spans are the slice's.
 */
export async function dataSpans(engine: QueryEngine): Promise<Map<EntityName, DataSpan>> {
  const partitioned = entities.filter((e) => e.monthOf);
  const sql = partitioned
    .map(
      (e) =>
        `select ${sqlString(e.name)} as entity, min(month) as first_month, max(month) as last_month from ${ident(e.name)}`,
    )
    .join('\nunion all\n');
  const spans = new Map<EntityName, DataSpan>();
  for (const row of await engine.query(sql)) {
    if (row.first_month === null || row.first_month === undefined) continue;
    spans.set(String(row.entity) as EntityName, { first: String(row.first_month), last: String(row.last_month) });
  }
  return spans;
}

/**
 * Whether any month of `months` has data for a KPI: some source of its month-partitioned
 * entities holds a record between its first and last month (a quiet month inside that span is
 * measured as the queries measure it). A KPI of whole-kept entities alone is always measurable. Otherwise its previous
 * period, last year and history points are "no data", never 0 (docs/rules.md, "Statistics").
 */
export function hasData(
  definition: Pick<KpiDefinition, 'inputs' | 'anyOf'>,
  spans: Map<EntityName, DataSpan>,
  months: readonly string[],
): boolean {
  const own = [...definition.inputs, ...(definition.anyOf ?? [])];
  const dated = own.filter((e) => entities.find((x) => x.name === e)?.monthOf);
  if (dated.length === 0) return true;
  return dated.some((e) => {
    const span = spans.get(e);
    return span !== undefined && months.some((m) => m >= span.first && m <= span.last);
  });
}
