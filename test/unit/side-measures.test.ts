import { describe, expect, it } from 'vitest';
import { readSql } from '../../functions/dialect/sqlText.ts';
import { kpiById, kpiCatalog, sideMeasures } from '../../functions/kpis/catalog.ts';
import { measureQueries } from '../../functions/kpis/measure.ts';

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
