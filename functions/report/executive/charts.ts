import type { Display } from '../../kpis/format.ts';
import type { MeasuredKpi } from '../../kpis/types.ts';
import { drawChart, monthAxis } from '../charts.ts';
import { cutLabel } from '../html.ts';
import { palette } from '../layout.ts';
import type { InlineImage } from '../message.ts';

/** A KPI's value in chart units: durations in hours, ratios in percent, so axes read plainly. */
function chartValue(kpi: MeasuredKpi, value: number | null): number | null {
  if (value === null) return null;
  if (kpi.unit === 'seconds') return Math.round((value / 3600) * 100) / 100;
  if (kpi.unit === 'ratio') return Math.round(value * 1000) / 10;
  return value;
}

const unitWord = (kpi: MeasuredKpi) =>
  kpi.unit === 'seconds' ? 'hours' : kpi.unit === 'ratio' ? '%' : kpi.unit === 'currency' ? '' : '';

/** The plain-text equivalent of a KPI's 13 months: one month a line, "Nov 2026  4,242". */
export function historyText(kpi: MeasuredKpi, display: Display): string {
  return kpi.history.map((p) => `${display.month(p.month)}  ${display.value(kpi.unit, p.value)}`).join('\n');
}

/** The span a chart covers in words, as the alt text says it: "Nov 2025 to Nov 2026". */
function monthSpan(display: Display, points: { month: string }[]): string {
  const first = points[0]?.month;
  const last = points.at(-1)?.month;
  return first && last ? `${display.month(first)} to ${display.month(last)}` : 'no months';
}

const safeId = (id: string) => id.replace(/[^a-z0-9_-]/gi, '_');

/** A 13-month trend line, small enough to sit beside a headline number (drawn at 2× for sharp screens). */
export async function sparkline(kpi: MeasuredKpi, display: Display): Promise<InlineImage> {
  const points = kpi.history.map((p) => ({ month: p.month, value: chartValue(kpi, p.value) }));
  const last = points.at(-1);
  const png = await drawChart({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 112,
    height: 28,
    padding: 2,
    // Transparent, so the line sits on the card in light and dark colour schemes alike.
    background: 'transparent',
    data: { values: points },
    layer: [
      {
        mark: { type: 'line', color: palette.accent, strokeWidth: 1.5, interpolate: 'monotone' },
        encoding: {
          x: { field: 'month', type: 'ordinal', axis: null },
          y: { field: 'value', type: 'quantitative', axis: null, scale: { zero: false } },
        },
      },
      {
        mark: { type: 'point', filled: true, color: palette.accent, size: 18 },
        transform: [{ filter: `datum.month === '${last?.month ?? ''}'` }],
        encoding: {
          x: { field: 'month', type: 'ordinal', axis: null },
          y: { field: 'value', type: 'quantitative', axis: null, scale: { zero: false } },
        },
      },
    ],
  });
  return {
    cid: `spark-${safeId(kpi.id)}`,
    filename: `spark-${safeId(kpi.id)}.png`,
    png,
    alt: `${cutLabel(kpi.label)}: 13-month trend, ${monthSpan(display, points)}`,
    text: historyText(kpi, display),
  };
}

/** A family section's chart: bars for totals, a line for durations and rates, 13 months. */
export async function familyChart(kpi: MeasuredKpi, display: Display): Promise<InlineImage> {
  const points = kpi.history.map((p) => ({ month: p.month, value: chartValue(kpi, p.value) }));
  const isTotal = kpi.unit === 'count' || kpi.unit === 'currency';
  const title = `${cutLabel(kpi.label)} per month${unitWord(kpi) ? ` (${unitWord(kpi)})` : kpi.unit === 'currency' ? ` (${display.currency})` : ''}`;
  const encoding = {
    x: { field: 'month', type: 'ordinal' as const, title: null, axis: monthAxis },
    y: {
      field: 'value',
      type: 'quantitative' as const,
      title: null,
      axis: { format: '~s', tickCount: 4 },
      ...(isTotal ? {} : { scale: { zero: false } }),
    },
  };
  const png = await drawChart({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 520,
    height: 140,
    background: '#ffffff',
    title,
    data: { values: points },
    ...(isTotal
      ? { mark: { type: 'bar' as const, color: palette.accent }, encoding }
      : {
          mark: { type: 'line' as const, color: palette.accent, point: true, interpolate: 'monotone' as const },
          encoding,
        }),
  });
  return {
    cid: `chart-${safeId(kpi.id)}`,
    filename: `chart-${safeId(kpi.id)}.png`,
    png,
    alt: `${title}, ${monthSpan(display, points)}`,
    text: historyText(kpi, display),
  };
}
