import { csvTable } from '../csvTable.ts';
import type { FileAttachment } from '../message.ts';
import type { Table, TableColumn } from '../table.ts';
import { workbookBuffer } from '../workbook.ts';
import type { FinanceLine, FinanceModel, UnitCostLine } from './model.ts';

/**
 * The finance tables in full, as the workbook's sheets and the CSV files: the e-mail shows their
 * top rows, these hold every row and every label whole.
 */
const money = (header: string): TableColumn => ({ header, format: 'currency' });
const percent = (header: string): TableColumn => ({ header, format: 'ratio' });
const text = (header: string): TableColumn => ({ header, format: 'text' });

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

const comparison = (
  l: Pick<
    FinanceLine,
    'current' | 'previous' | 'lastYear' | 'change' | 'changeRatio' | 'changeLastYear' | 'changeRatioLastYear'
  >,
) => [l.current, l.previous, l.lastYear, l.change, l.changeRatio, l.changeLastYear, l.changeRatioLastYear];

const kpiComparison = (k: UnitCostLine) => [
  k.value,
  k.previous,
  k.lastYear,
  k.change,
  k.changeRatio,
  k.changeLastYear,
  k.changeRatioLastYear,
];

function summaryTable(model: FinanceModel): Table {
  const kpiRows = (k: UnitCostLine | null) => (k ? [[k.label, ...kpiComparison(k), k.notMeasured ?? 'kpis.json']] : []);
  return {
    name: 'Summary',
    slug: 'summary',
    columns: [text('Measure'), ...comparisonColumns(model), text('Source')],
    rows: [
      ...kpiRows(model.trc),
      ['Direct labour', ...comparison(model.components.directLabour), 'trc mart'],
      ['Cost ledger', ...comparison(model.components.ledger), 'trc mart'],
      ...model.unitCosts.flatMap(kpiRows),
      ...kpiRows(model.costToServe),
      ...kpiRows(model.serviceMargin),
    ],
  };
}

function breakdownTable(
  model: FinanceModel,
  name: string,
  slug: string,
  dimension: string,
  lines: FinanceLine[],
): Table {
  return {
    name,
    slug,
    columns: [text(dimension), ...comparisonColumns(model), percent('Share of TRC')],
    rows: lines.map((l) => [l.member, ...comparison(l), l.share]),
  };
}

function segmentTable(model: FinanceModel): Table {
  const withRevenue = model.serviceMargin !== null;
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
      ...(withRevenue
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
    rows: model.segments.map((s) => [
      s.segment,
      s.costToServe.current,
      s.costToServe.previous,
      s.costToServe.lastYear,
      s.costToServe.change,
      s.costToServe.changeLastYear,
      s.costToServe.share,
      ...(withRevenue
        ? [
            s.revenue.current,
            s.margin.current,
            s.margin.previous,
            s.margin.lastYear,
            s.margin.change,
            s.margin.changeLastYear,
          ]
        : []),
    ]),
  };
}

function detailTable(model: FinanceModel): Table {
  const minus = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);
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
    rows: model.detail.map((d) => [
      d.category,
      d.channel,
      d.team,
      d.current,
      d.previous,
      d.lastYear,
      minus(d.current, d.previous),
      minus(d.current, d.lastYear),
    ]),
  };
}

function historyTable(model: FinanceModel): Table {
  const totals = new Map<string, number>();
  for (const p of model.history.points) totals.set(p.category, (totals.get(p.category) ?? 0) + p.amount);
  const categories = [...totals.keys()].sort((a, b) => totals.get(b)! - totals.get(a)! || a.localeCompare(b));
  const cell = new Map(model.history.points.map((p) => [`${p.month}\u0000${p.category}`, p.amount]));
  return {
    name: '13-month history',
    slug: 'history',
    columns: [text('Month'), ...categories.map(money), money('Total')],
    rows: model.history.months.map((month) => {
      const amounts = categories.map((c) => cell.get(`${month}\u0000${c}`) ?? 0);
      return [month, ...amounts, amounts.reduce((s, a) => s + a, 0)];
    }),
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
