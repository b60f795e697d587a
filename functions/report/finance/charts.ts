import type { TopLevelSpec } from 'vega-lite';
import { axisTicks, chartWidth, drawChart, moneyTick, monthAxis, tickLabelExpr } from '../charts.ts';
import { cutLabel } from '../html.ts';
import type { InlineImage } from '../message.ts';
import type { FinanceModel } from './model.ts';

/** Categories drawn one by one; the rest stack as one "other" band so the legend stays readable. */
const maxCategories = 7;

/** Colour-blind-safe (Okabe–Ito), and each over 3:1 against the white card and the dark one (#151b23). */
const categoryColours = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#999999'];

/** The months × category bands the chart stacks: the largest categories by name, the rest as "other". */
function categoryCells(model: FinanceModel) {
  const { months, points } = model.history;
  const totals = new Map<string, number>();
  for (const p of points) totals.set(p.category, (totals.get(p.category) ?? 0) + p.amount);
  const ranked = [...totals.keys()].sort((a, b) => totals.get(b)! - totals.get(a)! || a.localeCompare(b));
  const drawn = ranked.length > maxCategories ? ranked.slice(0, maxCategories - 1) : ranked;
  const shown = new Set(drawn);
  // A band is named in words (labor → Labour), in the legend and the text equivalent alike.
  const name = (category: string) => cutLabel(model.display.label(category), 24);
  const band = (category: string) => (shown.has(category) ? name(category) : 'Other');
  const bands = [...new Set([...drawn.map(name), ...(ranked.length > drawn.length ? ['Other'] : [])])];
  const cells = new Map<string, number>();
  for (const p of points)
    cells.set(
      `${p.month}\u0000${band(p.category)}`,
      (cells.get(`${p.month}\u0000${band(p.category)}`) ?? 0) + p.amount,
    );
  const values = months.flatMap((month) =>
    bands.map((category, rank) => ({ month, category, rank, amount: cells.get(`${month}\u0000${category}`) ?? 0 })),
  );
  return { months, bands, cells, values };
}

/**
 * TRC by category over the 13 months, as stacked bars from zero with ticks in the currency
 * ("€12k"), the legend in two columns beneath to fit a phone.
 */
export function trcByCategorySpec(model: FinanceModel): TopLevelSpec {
  const { months, bands, values } = categoryCells(model);
  // Credits stack below zero, costs above: the axis spans the largest of each and zero.
  const stacked = (month: string, sign: number) =>
    values.filter((v) => v.month === month && Math.sign(v.amount) === sign).reduce((s, v) => s + v.amount, 0);
  const { domain, ticks } = axisTicks(
    Math.min(0, ...months.map((m) => stacked(m, -1))),
    Math.max(0, ...months.map((m) => stacked(m, 1))),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: chartWidth,
    height: 150 + 18 * Math.ceil(bands.length / 2),
    padding: 4,
    title: 'Total cost of response by category',
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'month', type: 'ordinal', title: null, axis: monthAxis(months), scale: { domain: months } },
      y: {
        field: 'amount',
        type: 'quantitative',
        title: null,
        stack: 'zero',
        scale: { domain, nice: false, zero: false },
        axis: { values: ticks, labelExpr: tickLabelExpr(ticks, (v) => moneyTick(v, model.currency)) },
      },
      color: {
        field: 'category',
        type: 'nominal',
        title: null,
        sort: bands,
        scale: { domain: bands, range: categoryColours.slice(0, bands.length) },
        legend: { orient: 'bottom', direction: 'horizontal', columns: 2, labelLimit: 150, symbolType: 'square' },
      },
      order: { field: 'rank', sort: 'ascending' },
    },
  };
}

/** The TRC chart drawn, with its alt text and its text equivalent (one month a line). */
export async function trcByCategoryChart(model: FinanceModel, money: (value: number) => string): Promise<InlineImage> {
  const { months, bands, cells, values } = categoryCells(model);
  const chart = await drawChart(trcByCategorySpec(model));
  const shownMonth = (month: string) => model.display.month(month);
  const monthTotal = (month: string) => values.filter((v) => v.month === month).reduce((s, v) => s + v.amount, 0);
  return {
    cid: 'trc-by-category',
    filename: 'trc-by-category.png',
    ...chart,
    alt: `Total cost of response by category per month, stacked bars, ${shownMonth(months[0]!)} to ${shownMonth(months.at(-1)!)}: ${bands.join(', ')}`,
    text: months
      .map((month) => {
        const parts = bands.map((c) => ({ c, a: cells.get(`${month}\u0000${c}`) ?? 0 })).filter((p) => p.a !== 0);
        // A month before the first cost record has no data: "–", not a cost of 0.
        const total = model.history.firstMonth && month >= model.history.firstMonth ? money(monthTotal(month)) : '–';
        return `${shownMonth(month)}  ${total.padStart(12)}${parts.length ? `  (${parts.map((p) => `${p.c} ${money(p.a)}`).join(', ')})` : ''}`;
      })
      .join('\n'),
  };
}
