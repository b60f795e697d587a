import type { CellValue } from '../cells.ts';
import { csvTable } from '../csvTable.ts';
import type { FileAttachment } from '../message.ts';
import type { Table, TableColumn } from '../table.ts';
import { workbookBuffer } from '../workbook.ts';
import type { FinanceLine, FinanceModel, UnitCostLine } from './model.ts';

/**
 * The finance tables in full, as the workbook's sheets and the CSV files: the e-mail shows their
 * top rows, these hold every row and every label whole. Both are written from these same tables,
 * so a CSV holds exactly the workbook's numbers.
 */
const money = (header: string): TableColumn => ({ header, format: 'currency' });
const percent = (header: string): TableColumn => ({ header, format: 'ratio' });
const text = (header: string): TableColumn => ({ header, format: 'text' });

/** A cell with no data (a window or month before the first cost record, a change without a base). */
const noData = '–';
const notMeasured = 'not measured';

/**
 * Amounts to the cent so that the cents shown add up to the total shown (the largest-remainder
 * method): each amount rounded down to the cent, then the cents the total is short given one by
 * one to the amounts that lost most, the first in the list on a tie. Null stays null; returns the
 * rounded amounts and their total.
 */
export function centsAddingUp(amounts: (number | null)[]): { cells: (number | null)[]; total: number | null } {
  // Exact cents to a millionth of a cent, so 0.29 × 100 = 28.999999999999996 counts as 29.
  const exact = amounts.map((a) => (a === null ? null : Math.round(a * 1e8) / 1e6));
  const cents = exact.map((e) => (e === null ? null : Math.floor(e)));
  const known = exact.flatMap((e, i) => (e === null ? [] : [i]));
  if (known.length === 0) return { cells: amounts.map(() => null), total: null };
  const total = Math.round(known.reduce((s, i) => s + exact[i]!, 0));
  const short = total - known.reduce((s, i) => s + cents[i]!, 0);
  const lost = (i: number) => exact[i]! - cents[i]!;
  const ranked = [...known].sort((a, b) => lost(b) - lost(a) || a - b);
  for (const i of ranked.slice(0, short)) cents[i]! += 1;
  return { cells: cents.map((c) => (c === null ? null : c / 100)), total: total / 100 };
}

/** An amount to the cent, for a lone cell with no total to add up to. */
const toCent = (value: number | null) => (value === null ? null : Math.round(value * 100) / 100);

/** A difference of cent amounts, in cents: a change column adds up as its two columns do. */
const minus = (a: number | null, b: number | null) =>
  a === null || b === null ? null : Math.round((a - b) * 100) / 100;

/** A cell as the sheet shows it: "–" where there is no data. */
const shown = (value: number | null): CellValue => value ?? noData;

function comparisonColumns(model: FinanceModel): TableColumn[] {
  return [
    money(model.periodLabel),
    money(model.previousLabel),
    money(model.lastYearLabel),
    money(`Change vs ${model.previousLabel}`),
    percent(`% vs ${model.previousLabel}`),
    money(`Change vs ${model.lastYearLabel}`),
    percent(`% vs ${model.lastYearLabel}`),
  ];
}

type Amounts = Pick<FinanceLine, 'current' | 'previous' | 'lastYear' | 'changeRatio' | 'changeRatioLastYear'>;

/** The seven comparison cells of a line whose amounts are already to the cent. */
const comparison = (l: Amounts): CellValue[] =>
  [
    l.current,
    l.previous,
    l.lastYear,
    minus(l.current, l.previous),
    l.changeRatio,
    minus(l.current, l.lastYear),
    l.changeRatioLastYear,
  ].map(shown);

/** Lines with their amounts to the cent, each window's column adding up to its total. */
function inCents<T extends Amounts>(lines: T[]): { lines: T[]; total: Amounts } {
  const current = centsAddingUp(lines.map((l) => l.current));
  const previous = centsAddingUp(lines.map((l) => l.previous));
  const lastYear = centsAddingUp(lines.map((l) => l.lastYear));
  const ratio = (change: number | null, base: number | null) =>
    change === null || !base ? null : change / Math.abs(base);
  return {
    lines: lines.map((l, i) => ({
      ...l,
      current: current.cells[i]!,
      previous: previous.cells[i]!,
      lastYear: lastYear.cells[i]!,
    })),
    total: {
      current: current.total,
      previous: previous.total,
      lastYear: lastYear.total,
      changeRatio: ratio(minus(current.total, previous.total), previous.total),
      changeRatioLastYear: ratio(minus(current.total, lastYear.total), lastYear.total),
    },
  };
}

/** Where each summary row's number comes from, in words. */
const kpiSource = 'The KPI, as every Pulse report gives it';
const labourSource = "Hours worked × each agent's loaded hourly cost";
const ledgerSource = "The cost ledger's rows";

function summaryTable(model: FinanceModel): Table {
  const unmeasured = (label: string, why: string) => [label, ...comparisonColumns(model).map(() => notMeasured), why];
  const kpiRows = (k: UnitCostLine | null) =>
    !k
      ? []
      : k.notMeasured !== null
        ? [unmeasured(k.label, `Not measured: ${k.notMeasured}`)]
        : [
            [
              k.label,
              ...comparison({
                ...k,
                current: toCent(k.value),
                previous: toCent(k.previous),
                lastYear: toCent(k.lastYear),
              }),
              kpiSource,
            ],
          ];
  const part = (l: FinanceLine, source: string) =>
    l.notMeasured !== null
      ? unmeasured(l.member, `Not measured: ${l.notMeasured}`)
      : [
          l.member,
          ...comparison({
            ...l,
            current: toCent(l.current),
            previous: toCent(l.previous),
            lastYear: toCent(l.lastYear),
          }),
          source,
        ];
  return {
    name: 'Summary',
    slug: 'summary',
    columns: [text('Measure'), ...comparisonColumns(model), text('Source')],
    rows: [
      ...kpiRows(model.trc),
      part(model.components.directLabour, labourSource),
      part(model.components.ledger, ledgerSource),
      ...model.unitCosts.flatMap(kpiRows),
      ...kpiRows(model.costToServe),
      ...kpiRows(model.serviceMargin),
    ],
  };
}

/** "Total", or what the total is of when a cost component is not measured. */
const totalLabel = (model: FinanceModel) => (model.partial ? `Total, ${model.partial.only} only` : 'Total');

function breakdownTable(
  model: FinanceModel,
  name: string,
  slug: string,
  dimension: string,
  lines: FinanceLine[],
): Table {
  const cents = inCents(lines);
  const share = (value: number | null) => (value === null || !cents.total.current ? null : value / cents.total.current);
  return {
    name,
    slug,
    columns: [text(dimension), ...comparisonColumns(model), percent('Share of TRC')],
    rows: cents.lines.map((l) => [l.member, ...comparison(l), shown(share(l.current))]),
    total: [totalLabel(model), ...comparison(cents.total), shown(share(cents.total.current))],
  };
}

function segmentTable(model: FinanceModel): Table {
  const margin = model.serviceMargin !== null && model.segments.every((s) => s.margin.notMeasured === null);
  const cost = inCents(model.segments.map((s) => s.costToServe));
  const revenue = centsAddingUp(model.segments.map((s) => s.revenue.current));
  const margins = inCents(model.segments.map((s) => s.margin));
  const share = (value: number | null) => (value === null || !cost.total.current ? null : value / cost.total.current);
  const row = (label: string, c: Amounts, r: number | null, m: Amounts) => [
    label,
    ...[c.current, c.previous, c.lastYear, minus(c.current, c.previous), minus(c.current, c.lastYear)].map(shown),
    shown(share(c.current)),
    ...(margin
      ? [r, m.current, m.previous, m.lastYear, minus(m.current, m.previous), minus(m.current, m.lastYear)].map(shown)
      : []),
  ];
  return {
    name: 'By segment',
    slug: 'segment',
    columns: [
      text('Segment'),
      money(`Cost to serve, ${model.periodLabel}`),
      money(`Cost to serve, ${model.previousLabel}`),
      money(`Cost to serve, ${model.lastYearLabel}`),
      money(`Cost to serve, change vs ${model.previousLabel}`),
      money(`Cost to serve, change vs ${model.lastYearLabel}`),
      percent('Share of cost to serve'),
      ...(margin
        ? [
            money(`Revenue, ${model.periodLabel}`),
            money(`Service margin, ${model.periodLabel}`),
            money(`Service margin, ${model.previousLabel}`),
            money(`Service margin, ${model.lastYearLabel}`),
            money(`Service margin, change vs ${model.previousLabel}`),
            money(`Service margin, change vs ${model.lastYearLabel}`),
          ]
        : []),
    ],
    rows: model.segments.map((s, i) => row(s.segment, cost.lines[i]!, revenue.cells[i] ?? null, margins.lines[i]!)),
    total: row(totalLabel(model), cost.total, revenue.total, margins.total),
  };
}

function detailTable(model: FinanceModel): Table {
  const cents = inCents(model.detail.map((d) => ({ ...d, changeRatio: null, changeRatioLastYear: null })));
  const amounts = (d: Amounts) =>
    [d.current, d.previous, d.lastYear, minus(d.current, d.previous), minus(d.current, d.lastYear)].map(shown);
  return {
    name: 'Category × channel × team',
    slug: 'category-channel-team',
    columns: [
      text('Category'),
      text('Channel'),
      text('Team'),
      money(model.periodLabel),
      money(model.previousLabel),
      money(model.lastYearLabel),
      money(`Change vs ${model.previousLabel}`),
      money(`Change vs ${model.lastYearLabel}`),
    ],
    rows: cents.lines.map((d) => [d.category, d.channel, d.team, ...amounts(d)]),
    total: [totalLabel(model), '', '', ...amounts(cents.total)],
  };
}

/**
 * Month by category: a month before the first cost record has no data ("–"), a later month
 * without a category's rows cost 0 there. Each category's column adds up to its total; a
 * month's total is the sum of its cents.
 */
function historyTable(model: FinanceModel): Table {
  const totals = new Map<string, number>();
  for (const p of model.history.points) totals.set(p.category, (totals.get(p.category) ?? 0) + p.amount);
  const categories = [...totals.keys()].sort((a, b) => totals.get(b)! - totals.get(a)! || a.localeCompare(b));
  const cell = new Map(model.history.points.map((p) => [`${p.month}\u0000${p.category}`, p.amount]));
  const first = model.history.firstMonth ?? null;
  const months = model.history.months;
  const columns = categories.map((c) =>
    centsAddingUp(months.map((m) => (first !== null && m >= first ? (cell.get(`${m}\u0000${c}`) ?? 0) : null))),
  );
  const sum = (values: (number | null)[]) =>
    values.every((v) => v === null) ? null : Math.round(values.reduce<number>((s, v) => s + (v ?? 0) * 100, 0)) / 100;
  const rows = months.map((month, i) => {
    const amounts = columns.map((c) => c.cells[i]!);
    return [month, ...amounts.map(shown), shown(first !== null && month >= first ? (sum(amounts) ?? 0) : null)];
  });
  const columnTotals = columns.map((c) => c.total);
  return {
    name: '13-month history',
    slug: 'history',
    columns: [{ header: 'Month', format: 'month' }, ...categories.map(money), money('Total')],
    rows,
    total: [totalLabel(model), ...columnTotals.map(shown), shown(sum(columnTotals))],
  };
}

export function financeTables(model: FinanceModel): Table[] {
  return [
    summaryTable(model),
    breakdownTable(model, 'By category', 'category', 'Category', model.byCategory),
    breakdownTable(model, 'By channel', 'channel', 'Channel', model.byChannel),
    breakdownTable(model, 'By team', 'team', 'Team', model.byTeam),
    segmentTable(model),
    detailTable(model),
    historyTable(model),
  ];
}

/** Row 1 of every sheet: "Total cost of response — October 2026 (UTC)". */
export const workbookTitle = (model: FinanceModel) =>
  `${model.title} — ${model.periodLabel}${model.sliceLabel ? `, ${model.sliceLabel}` : ''} (${model.timezone})`;

export const workbookName = (model: FinanceModel) => `trc-${model.periodId}.xlsx`;

/** The workbook and the same tables as CSV files. */
export async function financeFiles(model: FinanceModel, created: Date): Promise<FileAttachment[]> {
  const tables = financeTables(model);
  const workbook = await workbookBuffer(tables, { title: workbookTitle(model), currency: model.currency, created });
  return [
    {
      filename: workbookName(model),
      contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      content: workbook,
    },
    ...tables.map((t) => ({
      filename: `trc-${model.periodId}-${t.slug}.csv`,
      contentType: 'text/csv; charset=utf-8',
      content: csvTable(t),
    })),
  ];
}
