import { escapeHtml, htmlLabel } from '../html.ts';
import { bannerSection, chartImage, compileMjml, css, palette, shellMjml } from '../layout.ts';
import type { InlineImage } from '../message.ts';
import { financeFormat } from './format.ts';
import { marginReason, type FinanceLine, type FinanceModel, type UnitCostLine } from './model.ts';
import { workbookName } from './workbook.ts';

/**
 * Rows each table shows in the e-mail; the workbook holds the rest. With labels cut to
 * `labelLength`, this bounds the HTML whatever the data size (Gmail clips past 102 KB).
 */
export const topRows = 10;
const labelLength = 40;

const cell = `padding:5px 6px;border-bottom:1px solid ${palette.rule}`;
const numberCell = `${cell};text-align:right;white-space:nowrap`;
const headCell = 'padding:5px 6px;text-align:right;font-weight:normal';

export async function financeHtml(model: FinanceModel, chart: InlineImage | undefined): Promise<string> {
  const currency = model.currency;
  const fmt = financeFormat(model);
  const money = (v: number | null) => escapeHtml(fmt.amount(v));
  const changeCell = (change: number | null, ratio: number | null) => {
    const percent = fmt.changePercent(change, ratio);
    return `${escapeHtml(fmt.change(change))}${percent ? ` <span class="${css.muted}" style="color:${palette.muted}">(${escapeHtml(percent)})</span>` : ''}`;
  };
  const unitChangeCell = (k: UnitCostLine, change: number | null) =>
    escapeHtml(fmt.unitChange(k.unit, k.value, change));
  // Both changes stacked in one cell, so a table keeps to four columns on a 375 px phone.
  const bothChanges = (previous: string, lastYear: string) =>
    `<td class="${css.rule}" style="${cell};text-align:right"><span style="white-space:nowrap">${previous}</span><br><span style="white-space:nowrap">${lastYear}</span></td>`;
  const muted = `color="${palette.muted}" font-size="12px" css-class="${css.muted}"`;
  const heading = (text: string) =>
    `<mj-text font-size="16px" font-weight="bold" padding="18px 16px 4px">${escapeHtml(text)}</mj-text>`;

  const tableHead = (first: string, columns: string[]) =>
    `<tr style="color:${palette.muted};font-size:12px"><th class="${css.muted}" style="padding:5px 6px;text-align:left;font-weight:normal">${escapeHtml(first)}</th>${columns.map((c) => `<th class="${css.muted}" style="${headCell}">${escapeHtml(c)}</th>`).join('')}</tr>`;
  const more = (shown: number, total: number, what: string, sheet: string) =>
    total > shown
      ? `<mj-text ${muted}>…and ${escapeHtml(model.display.count(total - shown))} more ${escapeHtml(what)} in the workbook (sheet “${escapeHtml(sheet)}”).</mj-text>`
      : '';

  const breakdown = (title: string, dimension: string, lines: FinanceLine[], what: string, sheet: string) => {
    if (lines.length === 0) return `${heading(title)}<mj-text ${muted}>No costs in this period.</mj-text>`;
    const rows = lines
      .slice(0, topRows)
      .map(
        (l) =>
          `<tr><td class="${css.rule}" style="${cell}">${htmlLabel(model.display.label(l.member), labelLength)}</td><td class="${css.rule}" style="${numberCell}"><b>${money(l.current)}</b></td>${bothChanges(changeCell(l.change, l.changeRatio), changeCell(l.changeLastYear, l.changeRatioLastYear))}<td class="${css.rule}" style="${numberCell}">${escapeHtml(fmt.percent(l.share))}</td></tr>`,
      )
      .join('\n');
    return `${heading(title)}
        <mj-table font-size="13px" padding="4px 16px">
          ${tableHead(dimension, ['This period', 'vs previous / last year', 'Share'])}
          ${rows}
        </mj-table>
        ${more(Math.min(topRows, lines.length), lines.length, what, sheet)}`;
  };

  const unitRow = (k: UnitCostLine) =>
    k.notMeasured !== null
      ? `<tr><td class="${css.rule}" style="${cell}">${escapeHtml(k.label)}</td><td class="${css.rule} ${css.muted}" style="${cell};color:${palette.muted}" colspan="3">Not measured: ${escapeHtml(k.notMeasured)}</td></tr>`
      : `<tr><td class="${css.rule}" style="${cell}">${escapeHtml(k.label)}</td><td class="${css.rule}" style="${numberCell}"><b>${escapeHtml(model.display.value(k.unit, k.value))}</b></td>${bothChanges(unitChangeCell(k, k.change), unitChangeCell(k, k.changeLastYear))}</tr>`;

  const trc = model.trc;
  const components = `<mj-text ${muted}>Direct labour ${escapeHtml(fmt.line(model.components.directLabour))} · cost ledger ${escapeHtml(fmt.line(model.components.ledger))}</mj-text>`;
  const headline =
    trc.notMeasured !== null
      ? `<mj-text font-size="16px">Total cost of response is not measured: ${escapeHtml(trc.notMeasured)}</mj-text>
        ${components}`
      : `<mj-text font-size="30px" font-weight="bold" padding="12px 16px 0">${money(trc.value)}</mj-text>
        <mj-text>${changeCell(trc.change, trc.changeRatio)} vs ${escapeHtml(model.previousLabel)} · ${changeCell(trc.changeLastYear, trc.changeRatioLastYear)} vs ${escapeHtml(model.lastYearLabel)}</mj-text>
        ${components}`;
  const partial = model.partial
    ? `<mj-text ${muted} padding="12px 16px 0">The tables below hold the ${escapeHtml(model.partial.only)} only: ${escapeHtml(model.partial.missing)}.</mj-text>`
    : '';

  const discrepancies = model.discrepancies.length
    ? bannerSection([
        `The breakdown tables do not match kpis.json: ${model.discrepancies.slice(0, 5).join('; ')}${model.discrepancies.length > 5 ? `; and ${model.discrepancies.length - 5} more` : ''}. Rebuild the marts and evaluate again (pulse run --stages marts,evaluate,render).`,
      ])
    : '';

  const segments = model.segments;
  const marginNotMeasured = marginReason(model);
  const segmentRows = segments
    .slice(0, topRows)
    .map(
      (s) =>
        `<tr><td class="${css.rule}" style="${cell}">${htmlLabel(model.display.label(s.segment), labelLength)}</td><td class="${css.rule}" style="${numberCell}"><b>${money(s.costToServe.current)}</b></td>${bothChanges(changeCell(s.costToServe.change, s.costToServe.changeRatio), changeCell(s.costToServe.changeLastYear, s.costToServe.changeRatioLastYear))}<td class="${css.rule}" style="${numberCell}">${escapeHtml(fmt.percent(s.costToServe.share))}</td></tr>`,
    )
    .join('\n');
  const marginRows = segments
    .slice(0, topRows)
    .map(
      (s) =>
        `<tr><td class="${css.rule}" style="${cell}">${htmlLabel(model.display.label(s.segment), labelLength)}</td><td class="${css.rule}" style="${numberCell}">${money(s.revenue.current)}</td><td class="${css.rule}" style="${numberCell}"><b>${money(s.margin.current)}</b></td>${bothChanges(changeCell(s.margin.change, s.margin.changeRatio), changeCell(s.margin.changeLastYear, s.margin.changeRatioLastYear))}</tr>`,
    )
    .join('\n');
  const segmentSection =
    segments.length === 0
      ? `${heading('Cost to serve by segment')}<mj-text ${muted}>No costs in this period.</mj-text>`
      : `${heading('Cost to serve by segment')}
        <mj-table font-size="13px" padding="4px 16px">
          ${tableHead('Segment', ['This period', 'vs previous / last year', 'Share'])}
          ${segmentRows}
        </mj-table>
        ${more(Math.min(topRows, segments.length), segments.length, 'segments', 'By segment')}
        ${
          marginNotMeasured !== null
            ? `${heading('Service margin by segment')}
        <mj-text>Service margin is not measured: ${escapeHtml(marginNotMeasured)}</mj-text>`
            : model.serviceMargin
              ? `${heading('Service margin by segment')}
        <mj-text ${muted}>Revenue (MRR of each month of the period) − cost to serve${model.serviceMargin.value !== null ? `; total ${money(model.serviceMargin.value)}` : ''}.</mj-text>
        <mj-table font-size="13px" padding="4px 16px">
          ${tableHead('Segment', ['Revenue', 'Margin', 'vs previous / last year'])}
          ${marginRows}
        </mj-table>`
              : `<mj-text ${muted}>Service margin is not shown for this report: revenue belongs to customers, not to a team or a channel.</mj-text>`
        }`;

  const sections = `${bannerSection(model.banners)}${discrepancies}
    <mj-section background-color="${palette.card}" padding="16px 0" css-class="${css.card}">
      <mj-column>
        <mj-text font-size="20px" font-weight="bold">${escapeHtml(model.title)}</mj-text>
        <mj-text color="${palette.muted}" css-class="${css.muted}">${escapeHtml(model.periodLabel)} · ${escapeHtml(model.timezone)} · ${escapeHtml(currency)}${model.sliceLabel ? ` · ${htmlLabel(model.sliceLabel, labelLength)}` : ''}</mj-text>
        ${headline}
        <mj-text ${muted}>Changes compare with ${escapeHtml(model.previousLabel)} (previous) and ${escapeHtml(model.lastYearLabel)} (last year).</mj-text>
        ${
          model.unitCosts.length
            ? `${heading('Unit costs')}
        <mj-table font-size="13px" padding="4px 16px">
          ${tableHead('', ['This period', 'vs previous / last year'])}
          ${model.unitCosts.map(unitRow).join('\n')}
        </mj-table>`
            : ''
        }
        ${partial}
        ${chart ? chartImage(chart, '16px 16px 4px') : ''}
        ${breakdown('By category', 'Category', model.byCategory, 'categories', 'By category')}
        ${breakdown('By channel', 'Channel', model.byChannel, 'channels', 'By channel')}
        ${breakdown('By team', 'Team', model.byTeam, 'teams', 'By team')}
        ${segmentSection}
        <mj-text ${muted} padding="18px 16px 4px">Attached: ${escapeHtml(workbookName(model))} (summary, by category, channel, team and segment, category × channel × team, 13 months) and the same tables as CSV files. Direct labour is hours worked × each agent's loaded hourly cost, under its team, split over channels and segments by their share of the handle time of the tickets created in the month; cost-ledger rows keep their category, channel and team ("shared" when they name none).</mj-text>
      </mj-column>
    </mj-section>`;
  const preview =
    trc.notMeasured === null
      ? `${fmt.amount(trc.value)} in ${model.periodLabel}, ${fmt.change(trc.change)} vs ${model.previousLabel}`
      : `${model.periodLabel}: total cost of response not measured`;
  return compileMjml(shellMjml({ title: model.subject, preview, sections }), 'finance');
}
