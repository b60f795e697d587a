import path from 'node:path';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { kpiCatalog } from '../../functions/kpis/catalog.ts';
import type { KpiQueries } from '../../functions/kpis/types.ts';
import { getJson } from '../../functions/ports/objectStore.ts';
import { queriesKey } from '../../functions/stages/evaluate.ts';
import { buildFixtureLake } from '../support/lake.ts';

/**
 * Each KPI names its computation: the KPI queries of sql/kpis/ give the rows of every KPI that
 * names none, and the others say how they are computed (computedBy), so evaluate has no case by
 * KPI id. Checked on the whole-catalog fixture with benchmarks, where every KPI is measured.
 */
const fixture = path.resolve(import.meta.dirname, '../fixtures/golden-catalog/pulse.config.json');
const lake = path.resolve(import.meta.dirname, '../../.tmp/kpi-computation-lake');
afterAll(() => rmSync(lake, { recursive: true, force: true }));

describe('each KPI names its computation', () => {
  it('the queries give every KPI without a computedBy, and none with one', async () => {
    const { ctx, report } = await buildFixtureLake(fixture, '2026-10', { lake, now: new Date('2026-11-02T06:00:00Z'), configure: (c) => void (c.benchmarks ??= { csat: { industry: 0.86 } }) });
    const queries = (await getJson<KpiQueries>(ctx.store, queriesKey('2026-10')))!;
    const fromQueries = new Set(queries.queries.flatMap((q) => q.kpis));
    const bySql = kpiCatalog.filter((k) => !k.computedBy).map((k) => k.id);
    const computed = kpiCatalog.filter((k) => k.computedBy).map((k) => k.id);
    expect(bySql.filter((id) => !fromQueries.has(id))).toEqual([]);
    expect(computed.filter((id) => fromQueries.has(id))).toEqual([]);
    expect(computed.sort()).toEqual(['brand_terms', 'competitor_gap', 'csat_change']);
    for (const id of computed) expect(report.kpis[id]?.status, id).not.toBe('not_measured');
    await ctx.engine.close();
  });
});
