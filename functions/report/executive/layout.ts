import type { MeasuredKpi } from '../../kpis/types.ts';
import { cutLabel, escapeHtml, htmlLabel } from '../html.ts';
import { bannerSection, chartImage, compileMjml, css, palette, removedNote, shellMjml, statusWord } from '../layout.ts';
import type { InlineImage } from '../message.ts';
import { marginNote, sampleNote } from '../sampleNotes.ts';
import type { ExecutiveModel } from './model.ts';

/**
 * An arrow for a change, coloured by whether it is better or worse given the KPI's direction; a
 * small sample's change is noise and takes no colour. "No data" when the period compared with
 * has none (its comparison is null, never 0). A change that rounds to zero as printed gets
 * neither arrow nor colour: an arrow beside "0.0 pp" would claim a move.
 */
function changeHtml(
  kpi: MeasuredKpi,
  change: number | null,
  comparison: number | null,
  against: string,
  model: ExecutiveModel,
): string {
  if (comparison === null) return `no data for ${escapeHtml(against)}`;
  if (change === null) return `– vs ${escapeHtml(against)}`;
  const shown = model.display.change(kpi.unit, change, comparison);
  const words = `${escapeHtml(shown.text)} vs ${escapeHtml(against)}`;
  if (shown.direction === null) return words;
  const arrow = shown.direction > 0 ? '▲' : '▼';
  const judged = kpi.direction !== 'neutral' && !kpi.sample?.small;
  const better = judged ? (kpi.direction === 'higher') === shown.direction > 0 : null;
  const colour = better === null ? palette.muted : better ? palette.status.good : palette.status.critical;
  const cls = better === null ? css.muted : css.status(better ? 'good' : 'critical');
  return `<span class="${cls}" style="color:${colour}">${arrow}</span> ${words}`;
}

/** One KPI row: label, its changes and target beneath, the trend; value and status (colour and word) on the right. */
function kpiRow(kpi: MeasuredKpi, model: ExecutiveModel, spark: InlineImage | undefined): string {
  const { display } = model;
  const target = kpi.target === null ? '' : ` · target ${escapeHtml(display.value(kpi.unit, kpi.target))}`;
  const rule = `border-bottom:1px solid ${palette.rule}`;
  // A small sample takes no status (docs/rules.md, "Samples"): its n stands where the status word would.
  const sample = sampleNote(kpi, model.slice !== null, model.display);
  const margin = marginNote(kpi, model.display);
  return `<tr>
          <td class="${css.rule}" style="padding:10px 8px;${rule};vertical-align:top">
            <div style="font-size:14px;color:${palette.text}">${htmlLabel(kpi.label)}</div>
            <div class="${css.muted}" style="font-size:12px;color:${palette.muted}">${changeHtml(kpi, kpi.change, kpi.previous, model.previousLabel, model)} · ${changeHtml(kpi, kpi.changeLastYear, kpi.lastYear, model.lastYearLabel, model)}${target}</div>
            ${spark ? `<img src="cid:${spark.cid}" alt="${escapeHtml(spark.alt)}" width="${spark.width}" height="${spark.height}" style="display:block;margin-top:4px;border:0;width:${spark.width}px;height:${spark.height}px">` : ''}
          </td>
          <td class="${css.rule}" style="padding:10px 8px;${rule};text-align:right;white-space:nowrap;vertical-align:top">
            <div style="font-size:18px;font-weight:bold;color:${palette.text}">${escapeHtml(display.value(kpi.unit, kpi.value))}${margin ? `<span style="font-size:12px;font-weight:normal"> ${escapeHtml(margin)}</span>` : ''}</div>
            <div class="${css.status(kpi.status)}" style="font-size:12px;color:${palette.status[kpi.status]}">● ${escapeHtml(sample ?? statusWord[kpi.status])}</div>
          </td>
        </tr>`;
}

const heading = (text: string) =>
  `<mj-text font-size="17px" font-weight="bold" padding="18px 16px 4px">${escapeHtml(text)}</mj-text>`;
const muted = (html: string) =>
  `<mj-text color="${palette.muted}" font-size="12px" css-class="${css.muted}">${html}</mj-text>`;
const table = (rows: string) => `<mj-table font-size="14px" padding="4px 8px" cellpadding="0">
          ${rows}
        </mj-table>`;

function forecastHtml(model: ExecutiveModel): string {
  const f = model.forecast;
  if (!f) return '';
  const n = (value: number) => escapeHtml(model.display.count(value));
  const cell = `padding:4px 8px;border-bottom:1px solid ${palette.rule}`;
  const rows = f.byWeekday
    .map(
      (d) =>
        `<tr><td class="${css.rule}" style="${cell}">${escapeHtml(d.weekday)}</td><td class="${css.rule}" style="${cell};text-align:right"><b>${n(d.expectedPerDay)}</b> a day</td><td class="${css.rule} ${css.muted}" style="${cell};text-align:right;color:${palette.muted}">${n(d.low)}–${n(d.high)}</td></tr>`,
    )
    .join('\n          ');
  return `${heading(`Next month: ${model.display.month(f.month)}`)}
        <mj-text>Expected tickets: <b>${n(f.expectedTickets)}</b>${f.agentHoursNeeded !== null ? ` · agent hours needed to hold the first-reply target: <b>${n(f.agentHoursNeeded)}</b>` : ''}</mj-text>
        ${table(`<tr class="${css.muted}" style="color:${palette.muted};font-size:12px;text-align:left"><th style="padding:4px 8px">Weekday</th><th style="padding:4px 8px;text-align:right">Expected</th><th style="padding:4px 8px;text-align:right">Range</th></tr>\n          ${rows}`)}
        ${muted(`${escapeHtml(f.method)}. Staffing: ${escapeHtml(f.staffingBasis)}.`)}`;
}

function dataQualityHtml(model: ExecutiveModel): string {
  const dq = model.dataQuality;
  const n = (value: number) => model.display.count(value);
  const sourceLines = dq.sources.slice(0, 20).map((s) => {
    const reasons = Object.entries(s.rejectedByReason)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([reason, rows]) => `${reason} ${n(rows)}`)
      .join(', ');
    return `${htmlLabel(s.source, 40)}/${escapeHtml(s.entity)}: ${n(s.rowsRead)} read, ${n(s.rowsAccepted)} accepted, ${n(s.rowsRejected)} rejected${s.rowsRejected ? ` (${escapeHtml(reasons)})` : ''}${removedNote(s, n)}`;
  });
  if (dq.sources.length > 20) sourceLines.push(`and ${dq.sources.length - 20} more sources`);
  const excluded = dq.excludedFromTimeMetrics;
  const excludedReasons = Object.entries(excluded.byReason)
    .map(([reason, rows]) => `${reason} ${n(rows)}`)
    .join(', ');
  return `<mj-text font-size="14px" font-weight="bold" padding="18px 16px 4px">Data quality${model.slice ? ' (sources as a whole)' : ''}</mj-text>
        ${muted(`${sourceLines.join('<br>')}<br>Left out of time metrics: ${n(excluded.total)}${excluded.total ? ` (${escapeHtml(excludedReasons)})` : ''} · older versions merged: ${n(dq.duplicatesMerged)}`)}`;
}

export async function executiveHtml(
  model: ExecutiveModel,
  images: { sparks: Map<string, InlineImage>; charts: Map<string, InlineImage> },
): Promise<string> {
  const explanations = model.explanations
    .slice(0, 8)
    .map((e) => `<li style="margin:4px 0">${escapeHtml(cutLabel(e, 300))}</li>`)
    .join('');
  const families = model.families
    .map((section) => {
      const chart = section.chart ? images.charts.get(section.chart.id) : undefined;
      return `${heading(section.title)}
        ${chart ? chartImage(chart) : ''}
        ${table(section.kpis.map((k) => kpiRow(k, model, undefined)).join('\n        '))}`;
    })
    .join('\n        ');
  const notMeasured = model.notMeasured;
  const sections = `${bannerSection(model.banners)}
    <mj-section background-color="${palette.card}" padding="16px 0" css-class="${css.card}">
      <mj-column>
        <mj-text font-size="22px" font-weight="bold">${escapeHtml(model.title)}</mj-text>
        ${muted(`${escapeHtml(model.periodLabel)} · ${escapeHtml(model.timezone)}${model.slice ? ` · ${htmlLabel(model.slice)} only` : ''}`)}
        ${table(model.headline.map((k) => kpiRow(k, model, images.sparks.get(k.id))).join('\n        '))}
        ${heading('What moved and why')}
        <mj-text>${explanations ? `<ul style="padding-left:18px;margin:0">${explanations}</ul>` : 'Nothing moved beyond its threshold.'}</mj-text>
        ${forecastHtml(model)}
        ${families}
        ${
          notMeasured.length
            ? muted(
                notMeasured
                  .map(
                    (g) =>
                      `Not measured: ${escapeHtml(g.labels.map((l) => cutLabel(l, 40)).join(', '))} (${escapeHtml(g.reason)}).`,
                  )
                  .join('<br>'),
              )
            : ''
        }
        ${dataQualityHtml(model)}
      </mj-column>
    </mj-section>`;
  return compileMjml(
    shellMjml({
      title: model.subject,
      preview: model.banners[0] ?? model.explanations[0] ?? `${model.periodLabel}: ${model.headline.length} KPIs`,
      sections,
    }),
    'scorecard',
  );
}
