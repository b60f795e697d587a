import { drawChart, monthAxis } from '../charts.ts';
import type { InlineImage } from '../message.ts';
import type { MeasuredKpi } from '../../kpis/types.ts';

/** Tickets created per month as bars. */
export async function volumeChart(kpi: MeasuredKpi): Promise<InlineImage> {
  const points = kpi.history.map((p) => ({ month: p.month, tickets: p.value ?? 0 }));
  const png = await drawChart({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 520,
    height: 150,
    background: '#ffffff',
    title: 'Tickets created per month',
    data: { values: points },
    mark: { type: 'bar', color: '#0969da' },
    encoding: {
      x: { field: 'month', type: 'ordinal', title: null, axis: monthAxis },
      y: { field: 'tickets', type: 'quantitative', title: null, axis: { format: '~s', tickCount: 4 } },
    },
  });
  return {
    cid: 'volume-chart',
    filename: 'volume-chart.png',
    png,
    alt: `Tickets created per month, ${points[0]?.month} to ${points.at(-1)?.month}`,
    text: points.map((p) => `${p.month}  ${p.tickets}`).join('\n'),
  };
}
