import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import mjml2html from 'mjml';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { formatChange, formatValue } from '../kpis/format.ts';
import type { KpiReport, KpiResult, MeasuredKpi } from '../kpis/types.ts';

/** The executive scorecard: HTML + plain text + an inline PNG chart, composed as raw MIME. */
export interface RenderedAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
  cid?: string;
}

export interface RenderedMessage {
  subject: string;
  html: string;
  text: string;
  attachments: RenderedAttachment[];
  eml: Buffer;
}

const headline = ['tickets_created', 'tickets_solved', 'backlog_open', 'first_reply_time', 'full_resolution_time', 'replied_within_24h_rate', 'resolved_within_2d_rate', 'sla_attainment', 'one_touch_rate', 'reopen_rate', 'escalation_rate', 'csat'];

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const statusColour: Record<string, string> = { good: '#1a7f37', warning: '#9a6700', critical: '#cf222e', none: '#57606a' };
const statusWord: Record<string, string> = { good: 'Good', warning: 'Warning', critical: 'Critical', none: '—' };

const chartFont = 'DejaVu Sans';
const fontFile = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');

/** Tickets created per month as a Vega-Lite bar chart, rendered to SVG by Vega and to PNG by resvg (no browser). */
export async function volumeChart(kpi: MeasuredKpi): Promise<{ png: Buffer; alt: string; text: string }> {
  const points = kpi.history.map((p) => ({ month: p.month, tickets: p.value ?? 0 }));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 520,
    height: 150,
    background: '#ffffff',
    title: 'Tickets created per month',
    data: { values: points },
    mark: { type: 'bar', color: '#0969da' },
    encoding: {
      x: { field: 'month', type: 'ordinal', title: null, axis: { labelAngle: 0, labelExpr: "timeFormat(toDate(datum.value + '-15'), '%b %y')" } },
      y: { field: 'tickets', type: 'quantitative', title: null, axis: { format: '~s', tickCount: 4 } },
    },
    config: { font: chartFont, view: { stroke: null } },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { fontFiles: [fontFile], loadSystemFonts: false, defaultFontFamily: chartFont } }).render().asPng();
  const text = points.map((p) => `${p.month}  ${p.tickets}`).join('\n');
  return { png: Buffer.from(png), alt: `Tickets created per month, ${points[0]?.month} to ${points.at(-1)?.month}`, text };
}

function measured(report: KpiReport, ids: string[]): MeasuredKpi[] {
  return ids.map((id) => report.kpis[id]).filter((k): k is MeasuredKpi => Boolean(k) && k!.status !== 'not_measured');
}

export async function renderScorecardMessage(report: KpiReport, audience: { name: string; kpis?: string[] }, options: { from: string; to: string[] }): Promise<RenderedMessage> {
  const rows = measured(report, audience.kpis ?? headline);
  const currency = report.currency;
  const subject = `Customer service scorecard — ${report.period.label}`;
  const explanations = Object.values(report.kpis).flatMap((k: KpiResult) => (k.status !== 'not_measured' && k.explanation ? [k.explanation] : []));
  const notMeasured = Object.values(report.kpis).filter((k) => k.status === 'not_measured');
  const created = report.kpis.tickets_created;
  const chart = created && created.status !== 'not_measured' ? await volumeChart(created) : undefined;
  const dq = report.dataQuality;

  const cell = 'padding:6px 8px;border-bottom:1px solid #d0d7de';
  const tableRows = rows
    .map(
      (k) =>
        `<tr><td style="${cell}">${escapeHtml(k.label)}</td>` +
        `<td style="${cell};text-align:right;white-space:nowrap"><b>${escapeHtml(formatValue(k.unit, k.value, currency))}</b></td>` +
        `<td style="${cell};color:${statusColour[k.status]};white-space:nowrap">● ${statusWord[k.status]}</td>` +
        `<td style="${cell};text-align:right;white-space:nowrap">${k.change === null ? '–' : `${k.change > 0 ? '▲' : k.change < 0 ? '▼' : ''} ${escapeHtml(formatChange(k.unit, k.change, currency))}`}</td>` +
        `<td style="${cell};text-align:right;white-space:nowrap">${escapeHtml(formatValue(k.unit, k.target, currency))}</td></tr>`,
    )
    .join('\n');
  const forecast = report.forecast;
  const muted = 'color="#57606a" font-size="12px"';
  const sourceLines = dq.sources.slice(0, 20).map((s) => {
    const reasons = Object.entries(s.rejectedByReason).sort((a, b) => b[1] - a[1]).slice(0, 5).map(([r, n]) => `${r} ${n}`).join(', ');
    return `${escapeHtml(s.source)}/${escapeHtml(s.entity)}: ${s.rowsRead} read, ${s.rowsAccepted} accepted, ${s.rowsRejected} rejected${s.rowsRejected ? ` (${escapeHtml(reasons)})` : ''}`;
  });
  const excluded = dq.excludedFromTimeMetrics;
  const excludedReasons = Object.entries(excluded.byReason).map(([r, n]) => `${r} ${n}`).join(', ');
  const mjml = `<mjml>
  <mj-head>
    <mj-title>${escapeHtml(subject)}</mj-title>
    <mj-preview>${escapeHtml(explanations[0] ?? `${report.period.label}: ${rows.length} KPIs`)}</mj-preview>
    <mj-attributes>
      <mj-all font-family="Arial, Helvetica, sans-serif" />
      <mj-text font-size="14px" color="#1f2328" line-height="1.45" padding="4px 16px" />
    </mj-attributes>
  </mj-head>
  <mj-body background-color="#f6f8fa" width="600px">
    <mj-section background-color="#ffffff" padding="16px 0">
      <mj-column>
        <mj-text font-size="20px" font-weight="bold">Customer service scorecard</mj-text>
        <mj-text color="#57606a">${escapeHtml(report.period.label)} · ${escapeHtml(report.timezone)}</mj-text>
        <mj-table font-size="14px" padding="8px 16px">
          <tr style="text-align:left;color:#57606a;white-space:nowrap"><th style="padding:6px 8px">KPI</th><th style="padding:6px 8px;text-align:right">Value</th><th style="padding:6px 8px">Status</th><th style="padding:6px 8px;text-align:right">vs last</th><th style="padding:6px 8px;text-align:right">Target</th></tr>
          ${tableRows}
        </mj-table>
        <mj-text font-size="16px" font-weight="bold" padding="16px 16px 4px">What moved and why</mj-text>
        <mj-text>${explanations.length ? `<ul style="padding-left:18px;margin:0">${explanations.slice(0, 8).map((e) => `<li style="margin:4px 0">${escapeHtml(e)}</li>`).join('')}</ul>` : 'Nothing moved beyond its threshold.'}</mj-text>
        ${
          forecast
            ? `<mj-text font-size="16px" font-weight="bold" padding="16px 16px 4px">Next month (${escapeHtml(forecast.month)})</mj-text>
        <mj-text>Expected tickets: <b>${escapeHtml(forecast.expectedTickets)}</b>${forecast.agentHoursNeeded !== null ? ` · agent hours needed: <b>${escapeHtml(forecast.agentHoursNeeded)}</b>` : ''}</mj-text>
        <mj-text ${muted}>${escapeHtml(forecast.byWeekday.map((d) => `${d.weekday} ${d.expectedPerDay}/day (${d.low}–${d.high})`).join(' · '))}. Method: ${escapeHtml(forecast.method)}.</mj-text>`
            : ''
        }
        ${chart ? `<mj-image src="cid:volume-chart" alt="${escapeHtml(chart.alt)}" width="560px" padding="16px 16px" />` : ''}
        ${notMeasured.length ? `<mj-text ${muted}>Not measured: ${escapeHtml(notMeasured.slice(0, 30).map((k) => k.label).join(', '))}${notMeasured.length > 30 ? ` and ${notMeasured.length - 30} more` : ''} (no source for their inputs).</mj-text>` : ''}
        <mj-text font-size="14px" font-weight="bold" padding="16px 16px 4px">Data quality</mj-text>
        <mj-text ${muted}>${sourceLines.join('<br>')}<br>Left out of time metrics: ${excluded.total}${excluded.total ? ` (${escapeHtml(excludedReasons)})` : ''} · older versions merged: ${dq.duplicatesMerged}</mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`;
  const { html, errors } = await mjml2html(mjml, { validationLevel: 'strict', minify: false });
  if (errors.length > 0) throw new Error(`the scorecard template is not valid MJML: ${errors.map((e) => e.formattedMessage).join('; ')}`);

  const text = [
    subject,
    '',
    ...rows.map((k) => `${k.label.padEnd(28)} ${formatValue(k.unit, k.value, currency).padStart(12)}  ${statusWord[k.status]!.padEnd(8)} ${formatChange(k.unit, k.change, currency)}`),
    '',
    'What moved and why',
    ...(explanations.length ? explanations.slice(0, 8).map((e) => `- ${e}`) : ['Nothing moved beyond its threshold.']),
    ...(forecast ? ['', `Next month (${forecast.month}): ${forecast.expectedTickets} tickets expected${forecast.agentHoursNeeded !== null ? `, ${forecast.agentHoursNeeded} agent hours needed` : ''}.`] : []),
    ...(chart ? ['', 'Tickets created per month', chart.text] : []),
    '',
    'Data quality',
    ...dq.sources.map((s) => `${s.source}/${s.entity}: ${s.rowsRead} read, ${s.rowsAccepted} accepted, ${s.rowsRejected} rejected`),
    `Left out of time metrics: ${dq.excludedFromTimeMetrics.total}`,
  ].join('\n');

  const attachments: RenderedAttachment[] = chart ? [{ filename: 'volume-chart.png', contentType: 'image/png', content: chart.png, cid: 'volume-chart' }] : [];
  const composer = new MailComposer({
    from: options.from,
    to: options.to,
    subject,
    text,
    html,
    attachments: attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType, ...(a.cid ? { cid: a.cid, contentDisposition: 'inline' as const } : {}) })),
  });
  const eml = await composer.compile().build();
  return { subject, html, text, attachments, eml };
}
