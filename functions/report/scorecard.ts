import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
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

const fontFile = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');

/** Tickets created per month as a bar chart, drawn to PNG without a browser. */
export function volumeChart(kpi: MeasuredKpi): { png: Buffer; alt: string; text: string } {
  const points = kpi.history;
  const max = Math.max(1, ...points.map((p) => p.value ?? 0));
  const width = 560;
  const height = 200;
  const barWidth = (width - 40) / Math.max(points.length, 1);
  const bars = points
    .map((p, i) => {
      const h = ((p.value ?? 0) / max) * (height - 50);
      const x = 30 + i * barWidth;
      return `<rect x="${x + 2}" y="${height - 25 - h}" width="${barWidth - 4}" height="${h}" fill="#0969da"/><text x="${x + barWidth / 2}" y="${height - 10}" font-size="10" text-anchor="middle" font-family="DejaVu Sans">${escapeHtml(p.month.slice(2))}</text>`;
    })
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/><text x="10" y="16" font-size="12" font-family="DejaVu Sans">Tickets created per month (max ${max})</text>${bars}</svg>`;
  const png = new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { fontFiles: [fontFile], loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
  const text = points.map((p) => `${p.month}  ${p.value ?? '–'}`).join('\n');
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
  const chart = created && created.status !== 'not_measured' ? volumeChart(created) : undefined;
  const dq = report.dataQuality;

  const tableRows = rows
    .map((k) => `<tr><td style="padding:6px 8px;border-bottom:1px solid #d0d7de">${escapeHtml(k.label)}</td><td style="padding:6px 8px;border-bottom:1px solid #d0d7de;text-align:right"><b>${escapeHtml(formatValue(k.unit, k.value, currency))}</b></td><td style="padding:6px 8px;border-bottom:1px solid #d0d7de;color:${statusColour[k.status]}">● ${statusWord[k.status]}</td><td style="padding:6px 8px;border-bottom:1px solid #d0d7de;text-align:right">${k.change === null ? '–' : `${k.change > 0 ? '▲' : k.change < 0 ? '▼' : ''} ${escapeHtml(formatChange(k.unit, k.change, currency))}`}</td><td style="padding:6px 8px;border-bottom:1px solid #d0d7de;text-align:right">${escapeHtml(formatValue(k.unit, k.target, currency))}</td></tr>`)
    .join('');
  const forecast = report.forecast;
  const html = `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(subject)}</title></head>
<body style="margin:0;padding:0;background:#f6f8fa;font-family:Arial,Helvetica,sans-serif;color:#1f2328">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center">
<table role="presentation" width="100%" style="max-width:600px;background:#ffffff" cellpadding="0" cellspacing="0"><tr><td style="padding:16px">
<h1 style="font-size:20px;margin:0 0 4px">Customer service scorecard</h1><p style="margin:0 0 16px;color:#57606a">${escapeHtml(report.period.label)} · ${escapeHtml(report.timezone)}</p>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="font-size:14px;border-collapse:collapse"><tr style="text-align:left;color:#57606a"><th style="padding:6px 8px">KPI</th><th style="padding:6px 8px;text-align:right">Value</th><th style="padding:6px 8px">Status</th><th style="padding:6px 8px;text-align:right">vs last</th><th style="padding:6px 8px;text-align:right">Target</th></tr>${tableRows}</table>
<h2 style="font-size:16px;margin:20px 0 6px">What moved and why</h2>${explanations.length ? `<ul style="padding-left:18px;margin:0">${explanations.slice(0, 8).map((e) => `<li style="margin:4px 0">${escapeHtml(e)}</li>`).join('')}</ul>` : '<p>Nothing moved beyond its threshold.</p>'}
${forecast ? `<h2 style="font-size:16px;margin:20px 0 6px">Next month (${escapeHtml(forecast.month)})</h2><p style="margin:0">Expected tickets: <b>${escapeHtml(forecast.expectedTickets)}</b>${forecast.agentHoursNeeded !== null ? ` · agent hours needed: <b>${escapeHtml(forecast.agentHoursNeeded)}</b>` : ''}</p><p style="margin:4px 0;color:#57606a;font-size:12px">${escapeHtml(forecast.byWeekday.map((d) => `${d.weekday} ${d.expectedPerDay}/day (${d.low}–${d.high})`).join(' · '))}. Method: ${escapeHtml(forecast.method)}.</p>` : ''}
${chart ? `<p style="margin:16px 0"><img src="cid:volume-chart" width="560" height="200" alt="${escapeHtml(chart.alt)}" style="width:100%;max-width:560px;height:auto;display:block"></p>` : ''}
${notMeasured.length ? `<p style="font-size:12px;color:#57606a">Not measured: ${escapeHtml(notMeasured.slice(0, 30).map((k) => k.label).join(', '))}${notMeasured.length > 30 ? ` and ${notMeasured.length - 30} more` : ''} (no source for their inputs).</p>` : ''}
<h2 style="font-size:14px;margin:20px 0 6px">Data quality</h2><p style="font-size:12px;color:#57606a;margin:0">${dq.sources.slice(0, 20).map((s) => `${escapeHtml(s.source)}/${escapeHtml(s.entity)}: ${s.rowsRead} read, ${s.rowsAccepted} accepted, ${s.rowsRejected} rejected${s.rowsRejected ? ` (${escapeHtml(Object.entries(s.rejectedByReason).sort((a, b) => b[1] - a[1]).slice(0, 5).map(([r, n]) => `${r} ${n}`).join(', '))})` : ''}`).join('<br>')}<br>Left out of time metrics: ${dq.excludedFromTimeMetrics.total}${dq.excludedFromTimeMetrics.total ? ` (${escapeHtml(Object.entries(dq.excludedFromTimeMetrics.byReason).map(([r, n]) => `${r} ${n}`).join(', '))})` : ''} · older versions merged: ${dq.duplicatesMerged}</p>
</td></tr></table></td></tr></table></body></html>`;

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
