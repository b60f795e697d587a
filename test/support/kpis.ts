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
