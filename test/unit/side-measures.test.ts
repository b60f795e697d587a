import { describe, expect, it } from 'vitest';
import { readSql } from '../../functions/dialect/sqlText.ts';
import { kpiById, kpiCatalog, sideMeasures, summedAcrossMonths } from '../../functions/kpis/catalog.ts';
import { kpiKind, measureQueries } from '../../functions/kpis/measure.ts';

/** The query files whose text names an id as a row of theirs. */
const queriesNaming = (id: string) => measureQueries.filter((q) => readSql(q.file).includes(`'${id}'`));

describe('the catalog declares what evaluate computes beside the KPI queries', () => {
  it('gives each side measure the KPIs of the catalog it sits beside and ratio queries that measure it', () => {
    for (const side of sideMeasures) {
      expect(kpiById(side.id), `${side.id} is no KPI`).toBeUndefined();
      if (side.for !== 'always')
        for (const id of side.for) expect(kpiById(id), `${side.id} beside ${id}`).toBeDefined();
      expect(new Set(queriesNaming(side.id).map((q) => q.kind)), side.id).toEqual(new Set(['ratio']));
    }
  });

  it('names, for each KPI computed from another, a KPI the queries measure', () => {
    const computedFrom = kpiCatalog.filter((d) => d.computedFrom);
    expect(computedFrom.map((d) => d.id)).toEqual(['csat_change']);
    for (const definition of computedFrom) {
      const from = kpiById(definition.computedFrom!);
      expect(from?.computedBy, definition.id).toBeUndefined();
      expect(queriesNaming(from!.id).length, definition.id).toBeGreaterThan(0);
    }
  });
});

describe('the catalog declares how a period of several months is measured', () => {
  it('says it of every KPI the queries measure and of no other, and sums only ratio rows', () => {
    for (const definition of kpiCatalog)
      expect(definition.acrossMonths === undefined, definition.id).toBe(definition.computedBy !== undefined);
    // A duration's p50 and p90 cannot be added up: every summed id is measured by ratio queries only.
    for (const id of summedAcrossMonths) {
      const definition = kpiById(id);
      if (definition) expect(kpiKind(definition), id).toBe('ratio');
      expect(new Set(queriesNaming(id).map((q) => q.kind)), id).toEqual(new Set(['ratio']));
    }
    // The medians, the stocks, the distinct counts and the period-wide allocations are not summed.
    for (const id of ['first_reply_time', 'backlog_open', 'solved_per_agent', 'customer_churn_rate'])
      expect(summedAcrossMonths.has(id), id).toBe(false);
    for (const id of ['tickets_created', 'replied_within_24h_rate', 'csat', 'nps', 'csat_solved_tickets'])
      expect(summedAcrossMonths.has(id), id).toBe(true);
  });
});
