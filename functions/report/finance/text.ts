import { cutLabel } from '../html.ts';
import type { InlineImage } from '../message.ts';
import { financeFormat } from './format.ts';
import { topRows } from './layout.ts';
import { marginReason, type FinanceLine, type FinanceModel, type UnitCostLine } from './model.ts';
import { workbookName } from './workbook.ts';

/** The plain-text part: the same report for clients that show no HTML, the chart as text. */
export function financeText(model: FinanceModel, chart: InlineImage | undefined): string {
  const currency = model.currency;
  const fmt = financeFormat(model);
  const money = fmt.amount;
  const change = (c: number | null, r: number | null) => {
    const percent = fmt.changePercent(c, r);
    return `${fmt.change(c)}${percent ? ` (${percent})` : ''}`;
  };
  const unitChange = (k: UnitCostLine, c: number | null) => fmt.unitChange(k.unit, k.value, c);
  const table = (title: string, lines: FinanceLine[], what: string) => [
    '',
    title,
    ...(lines.length === 0 ? ['No costs in this period.'] : []),
    ...lines
      .slice(0, topRows)
      .map(
        (l) =>
          `${cutLabel(model.display.label(l.member), 28).padEnd(28)} ${money(l.current).padStart(12)}  vs previous ${change(l.change, l.changeRatio)}  vs last year ${change(l.changeLastYear, l.changeRatioLastYear)}`,
      ),
    ...(lines.length > topRows ? [`…and ${lines.length - topRows} more ${what} in the workbook.`] : []),
  ];
  const trc = model.trc;
  const marginNotMeasured = marginReason(model);
  return [
    model.subject,
    `${model.periodLabel} · ${model.timezone} · ${currency}${model.sliceLabel ? ` · ${cutLabel(model.sliceLabel)}` : ''}`,
    ...model.banners.map((b) => `! ${b}`),
    '',
    trc.notMeasured !== null
      ? `Total cost of response is not measured: ${trc.notMeasured}`
      : `Total cost of response: ${money(trc.value)} (${change(trc.change, trc.changeRatio)} vs ${model.previousLabel}, ${change(trc.changeLastYear, trc.changeRatioLastYear)} vs ${model.lastYearLabel})`,
    `Direct labour ${fmt.line(model.components.directLabour)} · cost ledger ${fmt.line(model.components.ledger)}`,
    ...(model.discrepancies.length
      ? [
          '',
          `WARNING: the breakdown tables do not match kpis.json. ${model.discrepancies.slice(0, 5).join('; ')}${model.discrepancies.length > 5 ? `; and ${model.discrepancies.length - 5} more` : ''}. Rebuild the marts and evaluate again (pulse run --stages marts,evaluate,render).`,
        ]
      : []),
    ...(model.unitCosts.length
      ? [
          '',
          'Unit costs',
          ...model.unitCosts.map((k) =>
            k.notMeasured !== null
              ? `${k.label.padEnd(28)} not measured: ${k.notMeasured}`
              : `${k.label.padEnd(28)} ${model.display.value(k.unit, k.value).padStart(12)}  vs previous ${unitChange(k, k.change)}  vs last year ${unitChange(k, k.changeLastYear)}`,
          ),
        ]
      : []),
    ...(model.partial ? ['', `The tables below hold the ${model.partial.only} only: ${model.partial.missing}.`] : []),
    ...(chart ? ['', 'Total cost of response by category per month', chart.text] : []),
    ...table('By category', model.byCategory, 'categories'),
    ...table('By channel', model.byChannel, 'channels'),
    ...table('By team', model.byTeam, 'teams'),
    ...table(
      'Cost to serve by segment',
      model.segments.map((s) => s.costToServe),
      'segments',
    ),
    ...(marginNotMeasured !== null
      ? ['', `Service margin is not measured: ${marginNotMeasured}`]
      : model.serviceMargin
        ? [
            '',
            'Service margin by segment (revenue − cost to serve)',
            ...model.segments
              .slice(0, topRows)
              .map(
                (s) =>
                  `${cutLabel(model.display.label(s.segment), 28).padEnd(28)} ${money(s.margin.current).padStart(12)}  revenue ${money(s.revenue.current)}  vs previous ${change(s.margin.change, s.margin.changeRatio)}`,
              ),
          ]
        : []),
    '',
    `Attached: ${workbookName(model)} and the same tables as CSV files.`,
  ].join('\n');
}
