import { drawChart, monthAxis } from '../charts.ts';
import { cutLabel } from '../html.ts';
import type { InlineImage } from '../message.ts';
import type { FinanceModel } from './model.ts';

/** Categories drawn one by one; the rest stack as one "other" band so the legend stays readable. */
const maxCategories = 7;

/** Colour-blind-safe (Okabe–Ito) and readable on the chart's white card in both colour schemes. */
const categoryColours = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#999999'];

/** TRC by category over the 13 months, as stacked bars, with its text equivalent. */
export async function trcByCategoryChart(model: FinanceModel, money: (value: number) => string): Promise<InlineImage> {
  const { months, points } = model.history;
  const totals = new Map<string, number>();
  for (const p of points) totals.set(p.category, (totals.get(p.category) ?? 0) + p.amount);
  const ranked = [...totals.keys()].sort((a, b) => totals.get(b)! - totals.get(a)! || a.localeCompare(b));
  const drawn = ranked.length > maxCategories ? ranked.slice(0, maxCategories - 1) : ranked;
  const shown = new Set(drawn);
  const band = (category: string) => (shown.has(category) ? cutLabel(category, 24) : 'other');
  const bands = [
    ...new Set([...drawn.map((c) => cutLabel(c, 24)), ...(ranked.length > drawn.length ? ['other'] : [])]),
  ];
  const cells = new Map<string, number>();
  for (const p of points)
    cells.set(
      `${p.month}\u0000${band(p.category)}`,
      (cells.get(`${p.month}\u0000${band(p.category)}`) ?? 0) + p.amount,
    );
  const values = months.flatMap((month) =>
    bands.map((category, rank) => ({ month, category, rank, amount: cells.get(`${month}\u0000${category}`) ?? 0 })),
  );
  const png = await drawChart({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 520,
    height: 180,
    background: '#ffffff',
    padding: 8,
    title: `Total cost of response by category (${model.currency})`,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'month', type: 'ordinal', title: null, axis: monthAxis },
      y: { field: 'amount', type: 'quantitative', title: null, stack: 'zero', axis: { format: '~s', tickCount: 4 } },
      color: {
        field: 'category',
        type: 'nominal',
        title: null,
        sort: bands,
        scale: { domain: bands, range: categoryColours.slice(0, bands.length) },
        legend: { orient: 'bottom', direction: 'horizontal' },
      },
      order: { field: 'rank', sort: 'ascending' },
    },
  });
  const monthTotal = (month: string) => values.filter((v) => v.month === month).reduce((s, v) => s + v.amount, 0);
  return {
    cid: 'trc-by-category',
    filename: 'trc-by-category.png',
    png,
    alt: `Total cost of response by category per month, stacked bars, ${months[0]} to ${months.at(-1)}: ${bands.join(', ')}`,
    text: months
      .map((month) => {
        const parts = bands.map((c) => ({ c, a: cells.get(`${month}\u0000${c}`) ?? 0 })).filter((p) => p.a !== 0);
        // A month before the first cost record has no data: "–", not a cost of 0.
        const total = model.history.firstMonth && month >= model.history.firstMonth ? money(monthTotal(month)) : '–';
        return `${month}  ${total.padStart(12)}${parts.length ? `  (${parts.map((p) => `${p.c} ${money(p.a)}`).join(', ')})` : ''}`;
      })
      .join('\n'),
  };
}
