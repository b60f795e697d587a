import { display, type Display } from '../../kpis/format.ts';
import type { TopLevelSpec } from 'vega-lite';
import type { MeasuredKpi } from '../../kpis/types.ts';
import {
  axisTicks,
  chartInk,
  chartWidth,
  compactTick,
  drawChart,
  moneyTick,
  monthAxis,
  tickLabelExpr,
} from '../charts.ts';
import { cutLabel } from '../html.ts';
import type { InlineImage } from '../message.ts';

/** A KPI's value in chart units: durations in hours, ratios in percent, so axes read plainly. */
function chartValue(kpi: MeasuredKpi, value: number | null): number | null {
  if (value === null) return null;
  if (kpi.unit === 'seconds') return Math.round((value / 3600) * 100) / 100;
  if (kpi.unit === 'ratio') return Math.round(value * 1000) / 10;
  return value;
}

/** A tick in the KPI's unit: "€12k", "1.2k", "4 h", "85%". */
function tickLabel(kpi: MeasuredKpi, currency: string): (value: number) => string {
  if (kpi.unit === 'currency') return (v) => moneyTick(v, currency);
  if (kpi.unit === 'seconds') return (v) => `${compactTick(v)} h`;
  if (kpi.unit === 'ratio') return (v) => `${compactTick(v)}%`;
  return compactTick;
}

/**
 * A rate or score spans at least this many points, so that with only a target near the data a
 * one-point wobble is still drawn as one.
 */
const minimumSpan = 20;

/**
 * The y range a KPI's chart spans. Counts, money and durations start at zero: a bar or a time
 * read against a cut axis lies about its size. A rate or score spans its target and status
 * bands (the thresholds in kpis.json) with the data, so a wobble inside the good band looks like
 * one beside its "Good" status (docs/design.md, "Constraints that shape the code").
 */
export function kpiAxis(kpi: MeasuredKpi, values: number[]): { domain: [number, number]; ticks: number[] } {
  const thresholds = [kpi.target, kpi.warning, kpi.critical].flatMap((t) => (t === null ? [] : [chartValue(kpi, t)!]));
  const spanned = [...values, ...thresholds];
  let low = Math.min(...spanned);
  let high = Math.max(...spanned);
  if (!Number.isFinite(low)) [low, high] = [0, 1];
  if (kpi.unit === 'count' || kpi.unit === 'currency' || kpi.unit === 'seconds') {
    low = Math.min(0, low);
    high = Math.max(0, high);
  } else if (high - low < minimumSpan) {
    const widen = (minimumSpan - (high - low)) / 2;
    [low, high] = [low - widen, high + widen];
  }
  if (kpi.unit === 'ratio') [low, high] = [Math.max(0, low), Math.min(100, high)];
  return axisTicks(low, high);
}

/**
 * The status bands in chart units: where the KPI would show "Warning" and "Critical" (rules.ts:
 * warning from the target or the warning threshold, critical from the critical one), clipped to
 * the axis.
 */
export function statusBands(kpi: MeasuredKpi, [low, high]: [number, number]) {
  const at = (t: number | null) => (t === null ? null : chartValue(kpi, t)!);
  const [target, warning, critical] = [at(kpi.target), at(kpi.warning), at(kpi.critical)];
  const warnFrom = target ?? warning;
  const lower = kpi.direction === 'lower';
  const bands: { status: 'warning' | 'critical'; from: number; to: number }[] = [];
  if (kpi.direction === 'neutral') return bands;
  if (warnFrom !== null) bands.push({ status: 'warning', from: warnFrom, to: critical ?? (lower ? high : low) });
  if (critical !== null) bands.push({ status: 'critical', from: critical, to: lower ? high : low });
  return bands
    .map((b) => ({ ...b, from: Math.min(high, Math.max(low, b.from)), to: Math.min(high, Math.max(low, b.to)) }))
    .filter((b) => b.from !== b.to);
}

const unitWord = (kpi: MeasuredKpi) => (kpi.unit === 'seconds' ? ' (hours)' : '');

/** The plain-text equivalent of a KPI's 13 months: one month a line. */
export function historyText(kpi: MeasuredKpi, shown: Display): string {
  return kpi.history.map((p) => `${shown.month(p.month)}  ${shown.value(kpi.unit, p.value)}`).join('\n');
}

/** The span a chart covers in words, as the alt text says it: "Nov 2025 to Nov 2026". */
function monthSpan(shown: Display, points: { month: string }[]): string {
  const first = points[0]?.month;
  const last = points.at(-1)?.month;
  return first && last ? `${shown.month(first)} to ${shown.month(last)}` : 'no months';
}

const safeId = (id: string) => id.replace(/[^a-z0-9_-]/gi, '_');

const measured = (points: { value: number | null }[]) => points.flatMap((p) => (p.value === null ? [] : [p.value]));

/** A 13-month trend line, small enough to sit beside a headline number; the same y range as the KPI's chart. */
export async function sparkline(
  kpi: MeasuredKpi,
  currency: string,
  shown: Display = display({ currency }),
): Promise<InlineImage> {
  const points = kpi.history.map((p) => ({ month: p.month, value: chartValue(kpi, p.value) }));
  const last = points.at(-1);
  const { domain } = kpiAxis(kpi, measured(points));
  const y = { field: 'value', type: 'quantitative', axis: null, scale: { domain, nice: false, zero: false } } as const;
  const x = { field: 'month', type: 'ordinal', axis: null } as const;
  const chart = await drawChart({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 112,
    height: 28,
    padding: 2,
    data: { values: points },
    layer: [
      {
        mark: { type: 'line', color: chartInk.line, strokeWidth: 1.5, interpolate: 'monotone' },
        encoding: { x, y },
      },
      {
        mark: { type: 'point', filled: true, color: chartInk.line, size: 18 },
        transform: [{ filter: `datum.month === '${last?.month ?? ''}'` }],
        encoding: { x, y },
      },
    ],
  });
  return {
    cid: `spark-${safeId(kpi.id)}`,
    filename: `spark-${safeId(kpi.id)}.png`,
    ...chart,
    alt: `${cutLabel(kpi.label)}: 13-month trend, ${monthSpan(shown, points)}`,
    text: historyText(kpi, shown),
  };
}

/**
 * A family section's chart, 13 months: bars for totals, a line for durations and rates over
 * their status bands (amber warning, red critical) with the target dashed. Every layer shares
 * the one y axis (the first layer's axis is the one drawn).
 */
export function familyChartSpec(kpi: MeasuredKpi, currency: string): TopLevelSpec {
  const points = kpi.history.map((p) => ({ month: p.month, value: chartValue(kpi, p.value) }));
  const months = points.map((p) => p.month);
  const isTotal = kpi.unit === 'count' || kpi.unit === 'currency';
  const { domain, ticks } = kpiAxis(kpi, measured(points));
  const x = {
    field: 'month',
    type: 'ordinal',
    title: null,
    axis: monthAxis(months),
    scale: { domain: months },
  } as const;
  const y = {
    field: 'value',
    type: 'quantitative',
    title: null,
    scale: { domain, nice: false, zero: false },
    axis: { values: ticks, labelExpr: tickLabelExpr(ticks, tickLabel(kpi, currency)) },
  } as const;
  const bands = isTotal ? [] : statusBands(kpi, domain);
  const target = isTotal ? null : chartValue(kpi, kpi.target);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: chartWidth,
    height: 180,
    padding: 4,
    title: chartTitle(kpi),
    layer: [
      ...(bands.length
        ? [
            {
              data: { values: bands },
              mark: { type: 'rect' as const, opacity: 0.15 },
              encoding: {
                y: { ...y, field: 'from' },
                y2: { field: 'to' },
                color: {
                  field: 'status',
                  type: 'nominal' as const,
                  legend: null,
                  scale: { domain: ['warning', 'critical'], range: [chartInk.band.warning, chartInk.band.critical] },
                },
              },
            },
          ]
        : []),
      ...(target === null
        ? []
        : [
            {
              data: { values: [{ target }] },
              mark: { type: 'rule' as const, color: chartInk.target, strokeDash: [4, 3], strokeWidth: 1.5 },
              encoding: { y: { ...y, field: 'target' } },
            },
          ]),
      {
        data: { values: points },
        mark: isTotal
          ? { type: 'bar', color: chartInk.line }
          : {
              type: 'line',
              color: chartInk.line,
              strokeWidth: 2,
              point: { filled: true, color: chartInk.line },
              interpolate: 'monotone',
            },
        encoding: { x, y },
      },
    ],
  };
}

const chartTitle = (kpi: MeasuredKpi) => `${cutLabel(kpi.label, 40)} per month${unitWord(kpi)}`;

export async function familyChart(
  kpi: MeasuredKpi,
  currency: string,
  shown: Display = display({ currency }),
): Promise<InlineImage> {
  const chart = await drawChart(familyChartSpec(kpi, currency));
  const inCurrency = kpi.unit === 'currency' ? ` (${currency})` : '';
  return {
    cid: `chart-${safeId(kpi.id)}`,
    filename: `chart-${safeId(kpi.id)}.png`,
    ...chart,
    alt: `${chartTitle(kpi)}${inCurrency}, ${monthSpan(shown, kpi.history)}`,
    text: historyText(kpi, shown),
  };
}
