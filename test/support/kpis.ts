import type { KpiDefinition } from '../../functions/kpis/catalog.ts';
import type { MeasuredKpi } from '../../functions/kpis/types.ts';

/** A measured KPI for a renderer's test: nothing compared, nothing explained, unless `fields` says so. */
export function measuredKpi(fields: Partial<MeasuredKpi> & Pick<MeasuredKpi, 'id' | 'unit'>): MeasuredKpi {
  return {
    label: fields.id,
    family: 'volume',
    direction: 'higher',
    description: '',
    value: null,
    status: 'none',
    target: null,
    warning: null,
    critical: null,
    previous: null,
    change: null,
    changeRatio: null,
    lastYear: null,
    changeLastYear: null,
    stats: {},
    breakdowns: {},
    drivers: [],
    explanation: null,
    history: [],
    ...fields,
  };
}

/** A measured KPI as the catalog defines it (label, family, unit, direction), with `fields` over it. */
export function catalogKpi(d: KpiDefinition, fields: Partial<MeasuredKpi> = {}): MeasuredKpi {
  const { id, label, family, unit, direction, description } = d;
  return measuredKpi({ id, label, family, unit, direction, description, ...fields });
}
