import { formatChange, formatValue } from '../../kpis/format.ts';
import { escapeHtml } from '../html.ts';
import { compileMjml, palette, shellMjml, statusWord } from '../layout.ts';
import type { InlineImage } from '../message.ts';
import type { ExecutiveModel } from './model.ts';

export async function executiveHtml(model: ExecutiveModel, chart: InlineImage | undefined): Promise<string> {
  const currency = model.currency;
  const cell = `padding:6px 8px;border-bottom:1px solid ${palette.rule}`;
  const tableRows = model.headline
    .map(
      (k) =>
        `<tr><td style="${cell}">${escapeHtml(k.label)}</td>` +
        `<td style="${cell};text-align:right;white-space:nowrap"><b>${escapeHtml(formatValue(k.unit, k.value, currency))}</b></td>` +
        `<td style="${cell};color:${palette.status[k.status]};white-space:nowrap">● ${statusWord[k.status]}</td>` +
        `<td style="${cell};text-align:right;white-space:nowrap">${k.change === null ? '–' : `${k.change > 0 ? '▲' : k.change < 0 ? '▼' : ''} ${escapeHtml(formatChange(k.unit, k.change, currency))}`}</td>` +
        `<td style="${cell};text-align:right;white-space:nowrap">${escapeHtml(formatValue(k.unit, k.target, currency))}</td></tr>`,
    )
    .join('\n');
  const forecast = model.forecast;
  const muted = `color="${palette.muted}" font-size="12px"`;
  const dq = model.dataQuality;
  const sourceLines = dq.sources.slice(0, 20).map((s) => {
    const reasons = Object.entries(s.rejectedByReason).sort((a, b) => b[1] - a[1]).slice(0, 5).map(([r, n]) => `${r} ${n}`).join(', ');
    return `${escapeHtml(s.source)}/${escapeHtml(s.entity)}: ${s.rowsRead} read, ${s.rowsAccepted} accepted, ${s.rowsRejected} rejected${s.rowsRejected ? ` (${escapeHtml(reasons)})` : ''}`;
  });
  const excluded = dq.excludedFromTimeMetrics;
  const excludedReasons = Object.entries(excluded.byReason).map(([r, n]) => `${r} ${n}`).join(', ');
  const notMeasured = model.notMeasured;
  const sections = `    <mj-section background-color="${palette.card}" padding="16px 0">
      <mj-column>
        <mj-text font-size="20px" font-weight="bold">Customer service scorecard</mj-text>
        <mj-text color="${palette.muted}">${escapeHtml(model.periodLabel)} · ${escapeHtml(model.timezone)}</mj-text>
        <mj-table font-size="14px" padding="8px 16px">
          <tr style="text-align:left;color:${palette.muted};white-space:nowrap"><th style="padding:6px 8px">KPI</th><th style="padding:6px 8px;text-align:right">Value</th><th style="padding:6px 8px">Status</th><th style="padding:6px 8px;text-align:right">vs last</th><th style="padding:6px 8px;text-align:right">Target</th></tr>
          ${tableRows}
        </mj-table>
        <mj-text font-size="16px" font-weight="bold" padding="16px 16px 4px">What moved and why</mj-text>
        <mj-text>${model.explanations.length ? `<ul style="padding-left:18px;margin:0">${model.explanations.slice(0, 8).map((e) => `<li style="margin:4px 0">${escapeHtml(e)}</li>`).join('')}</ul>` : 'Nothing moved beyond its threshold.'}</mj-text>
        ${
          forecast
            ? `<mj-text font-size="16px" font-weight="bold" padding="16px 16px 4px">Next month (${escapeHtml(forecast.month)})</mj-text>
        <mj-text>Expected tickets: <b>${escapeHtml(forecast.expectedTickets)}</b>${forecast.agentHoursNeeded !== null ? ` · agent hours needed: <b>${escapeHtml(forecast.agentHoursNeeded)}</b>` : ''}</mj-text>
        <mj-text ${muted}>${escapeHtml(forecast.byWeekday.map((d) => `${d.weekday} ${d.expectedPerDay}/day (${d.low}–${d.high})`).join(' · '))}. Method: ${escapeHtml(forecast.method)}.</mj-text>`
            : ''
        }
        ${chart ? `<mj-image src="cid:${chart.cid}" alt="${escapeHtml(chart.alt)}" width="560px" padding="16px 16px" />` : ''}
        ${notMeasured.length ? `<mj-text ${muted}>Not measured: ${escapeHtml(notMeasured.slice(0, 30).join(', '))}${notMeasured.length > 30 ? ` and ${notMeasured.length - 30} more` : ''} (no source for their inputs).</mj-text>` : ''}
        <mj-text font-size="14px" font-weight="bold" padding="16px 16px 4px">Data quality</mj-text>
        <mj-text ${muted}>${sourceLines.join('<br>')}<br>Left out of time metrics: ${excluded.total}${excluded.total ? ` (${escapeHtml(excludedReasons)})` : ''} · older versions merged: ${dq.duplicatesMerged}</mj-text>
      </mj-column>
    </mj-section>`;
  return compileMjml(shellMjml({ title: model.subject, preview: model.explanations[0] ?? `${model.periodLabel}: ${model.headline.length} KPIs`, sections }), 'scorecard');
}
