import { sqlString } from '../../dialect/sqlText.ts';
import { surveyCommentsSql } from '../../kpis/brandTerms.ts';
import { responseBase, type KpiDefinition } from '../../kpis/catalog.ts';
import { kpiKind, measureColumns } from '../../kpis/measure.ts';
import { kpiMonthlyMart, martTables } from '../../model/marts.ts';
import type { KpiQueries, KpiQuery } from './model.ts';

/**
 * How a KPI's number is traced back to its rows: the query evaluate ran (queries.json), cut to
 * that KPI's rows, and one line on how functions/kpis/measure.ts turns those rows into the value.
 */

/**
 * The marts a text reads, each named for its whole-lake rows: the catalog's tables hold every
 * configured slice's rows too (docs/design.md, "Slices"), where evaluate read the lake's alone.
 * A WITH entry of a table's own name reads the table (Trino and DuckDB alike).
 */
function wholeLakeMarts(sql: string): string[] {
  return martTables
    .filter((t) => t.name !== kpiMonthlyMart && new RegExp(`\\b${t.name}\\b`).test(sql))
    .map((t) => `${t.name} as (select * from ${t.name} where slice = '')`);
}

/**
 * The rows behind one KPI: the exact text evaluate ran, wrapped. The text goes in unchanged (its
 * leading comments included), on lines of its own so that no comment can swallow the wrapper;
 * the marts it reads are their whole-lake rows (wholeLakeMarts), as in the catalog (Athena,
 * `pulse query`).
 */
export function reproducingQuery(query: Pick<KpiQuery, 'kind' | 'sql'>, kpi: string): string {
  const marts = wholeLakeMarts(query.sql);
  return [
    ...(marts.length > 0 ? [`with ${marts.join(',\n')}`] : []),
    `select kpi, dimension, member, ${measureColumns[query.kind].join(', ')}`,
    'from (',
    query.sql,
    ') as measured',
    `where kpi = ${sqlString(kpi)}`,
    'order by dimension, member',
  ].join('\n');
}

/** How measure.ts derives the headline from the rows (toMeasurements). */
export function valueDerivation(
  definition: Pick<KpiDefinition, 'id' | 'unit'> & Partial<Pick<KpiDefinition, 'sum' | 'survey'>>,
): string {
  const headline = "the row with dimension = ''";
  let line: string;
  if (kpiKind(definition) === 'duration') line = `value = p50 of ${headline}, in seconds (p90, mean and n beside it)`;
  else if (definition.sum) line = `value = numerator of ${headline} (a total: its denominator is null)`;
  else line = `value = numerator ÷ denominator of ${headline} (none when the denominator is 0)`;
  if (definition.survey) line += `; response rate = denominator ÷ the numerator of ${responseBase}`;
  return line;
}

/**
 * What each of evaluate's TypeScript computations (the catalog's computedBy) reads and how it
 * derives the value, for the KPIs computed rather than measured by sql/kpis/.
 */
export const computedInTypeScript: Record<
  NonNullable<KpiDefinition['computedBy']>,
  { from: string; derivation: string; inputsSql?: (months: string[]) => string }
> = {
  csatChange: {
    from: "csat of this period and of the previous one, each from csat's rows in kpis/ticket_status.sql run for that period's months",
    derivation:
      'value = csat − csat of the previous period; breakdown against.last_year = csat − csat of the same period a year before',
  },
  brandTerms: {
    from: 'the survey comments of the period, counted by functions/kpis/brandTerms.ts (each term once per comment)',
    derivation:
      'value = comments read; breakdown term = comments mentioning each term, share_change = its share against the previous period',
    // The text evaluate reads the comments with (surveyComments).
    inputsSql: surveyCommentsSql,
  },
  competitorGap: {
    from: "the values of the benchmarked KPIs in this report and the config's benchmarks, by functions/kpis/benchmarks.ts",
    derivation:
      'value = the <kpi>.<benchmark> pairs of breakdown gap below 0 (gap = value − benchmark, signed so that positive is better)',
  },
};

/**
 * The query whose rows hold a KPI. A KPI that had no row this period (a duration with nothing to
 * measure) is found by the query text that names it as a kpi value.
 */
export function queryOf(queries: KpiQueries, id: string): { query: KpiQuery; hasRows: boolean } | undefined {
  const withRows = queries.queries.find((q) => q.kpis.includes(id));
  if (withRows) return { query: withRows, hasRows: true };
  const names = new RegExp(`${sqlString(id).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*(,|as\\s+kpi\\b)`);
  const naming = queries.queries.find((q) => names.test(q.sql));
  return naming ? { query: naming, hasRows: false } : undefined;
}
