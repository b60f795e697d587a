import { escapeHtml, htmlLabel } from '../html.ts';
import { bannerSection, compileMjml, css, palette, shellMjml } from '../layout.ts';
import {
  instantText,
  monthsText,
  reasonsText,
  shown,
  sliceText,
  sourceLine,
  topSources,
  traceText,
} from './display.ts';
import { attachmentNames } from './files.ts';
import type { AnalystModel, KpiEntry, TableInventory } from './model.ts';

/**
 * The analyst e-mail: stacked blocks rather than wide tables, and no SQL in the body (it is in
 * kpi-queries.sql), so it reads on a 375 px phone. Every value from the data is escaped and cut.
 */
const mono = 'font-family:Menlo,Consolas,monospace';
const small = `font-size:12px;color:${palette.muted}`;
// Long names from the data (a source called after a file path) break rather than widen the page.
const wraps = 'overflow-wrap:anywhere;word-break:break-word';
const nowrap = 'white-space:nowrap';
const entry = `padding:6px 0;border-bottom:1px solid ${palette.rule}`;

const heading = (text: string) =>
  `<mj-text font-size="16px" font-weight="bold" padding="16px 16px 4px">${escapeHtml(text)}</mj-text>`;
const note = (html: string) => `<mj-text font-size="12px" color="${palette.muted}">${html}</mj-text>`;
const fileName = (name: string) => `<span style="${mono}">${escapeHtml(name)}</span>`;

/** `2026-10-06T09:00:00.000Z` as the day over the time, so the column stays narrow on a phone. */
function freshestHtml(t: TableInventory): string {
  const [day, time] = instantText(t.freshest).split(/ (?=\d{2}:)/);
  const column = t.freshestColumn
    ? `<span style="${small};${mono};${nowrap}">${htmlLabel(t.freshestColumn, 30)}</span>`
    : '';
  return [
    `<span style="${nowrap}">${escapeHtml(day)}</span>`,
    time ? `<span style="${small}">${escapeHtml(time)}</span>` : '',
    column,
  ]
    .filter(Boolean)
    .join('<br>');
}

function monthsHtml(t: TableInventory): string {
  if (!t.months) return escapeHtml(monthsText(t));
  const { first, last, count } = t.months;
  const month = (m: string) => `<span style="${nowrap}">${escapeHtml(m)}</span>`;
  const span = first === last ? month(first) : `${month(first)} – ${month(last)}`;
  return `${span}<br><span style="${small}">${escapeHtml(count)} ${count === 1 ? 'month' : 'months'}</span>`;
}

function inventoryRows(tables: TableInventory[], n: (value: number) => string): string {
  const cell = `padding:5px 4px;border-bottom:1px solid ${palette.rule};vertical-align:top`;
  const layers: [TableInventory['layer'], string][] = [
    ['curated', 'Curated tables'],
    ['mart', 'Marts'],
  ];
  return layers
    .map(([layer, title]) => {
      const rows = tables.filter((t) => t.layer === layer);
      if (rows.length === 0) return '';
      return (
        `<tr><td colspan="4" style="padding:10px 4px 2px;font-weight:bold">${title}</td></tr>` +
        rows
          .map(
            (t) =>
              `<tr><td style="${cell};${mono};font-size:12px;${nowrap}">${htmlLabel(t.table, 30)}</td>` +
              `<td style="${cell};text-align:right">${escapeHtml(n(t.rows))}${t.rowsInPeriod === null ? '' : `<br><span style="${small}">${escapeHtml(n(t.rowsInPeriod))} in period</span>`}</td>` +
              `<td style="${cell}">${monthsHtml(t)}</td>` +
              `<td style="${cell}">${freshestHtml(t)}</td></tr>`,
          )
          .join('\n')
      );
    })
    .join('\n');
}

function sourcesHtml(model: AnalystModel): string {
  return topSources(model)
    .map((s) => {
      const rejects =
        s.rowsRejected > 0
          ? `<br><span style="${small}">rejected by reason: ${htmlLabel(reasonsText(s.rejectedByReason, shown.reasonsPerSource, model.display), 240)}</span>`
          : '';
      return (
        `<div style="${entry}"><b>${htmlLabel(s.source, 60)}</b> <span style="${small}">${htmlLabel(s.entity, 30)}</span><br>` +
        `${escapeHtml(sourceLine(s, model.display))}${rejects}<br>` +
        `<span style="${small}">freshest record ${escapeHtml(instantText(s.freshestRecordAt))} · last extract ${escapeHtml(instantText(s.lastExtractAt))}</span></div>`
      );
    })
    .join('');
}

/** The empty member '' reads as a double quote in a proportional font: set it in monospace. */
const derivationHtml = (text: string) => escapeHtml(text).replace(/&#39;&#39;/g, `<span style="${mono}">''</span>`);

function kpiHtml(k: KpiEntry): string {
  const value =
    k.trace.kind === 'not_measured' ? '' : ` <span style="white-space:nowrap">· <b>${escapeHtml(k.shown)}</b></span>`;
  return (
    `<div style="${entry}">${htmlLabel(k.label, 60)}${value}<br>` +
    `<span style="${mono};font-size:12px">${htmlLabel(k.id, 60)}</span> <span style="font-size:12px">· ${htmlLabel(traceText(k), 200)}</span><br>` +
    `<span style="${small}">${derivationHtml(k.derivation)}</span></div>`
  );
}

export async function analystHtml(model: AnalystModel): Promise<string> {
  const dq = model.dataQuality;
  const sources = topSources(model);
  const excluded = dq.excludedFromTimeMetrics;
  const kpis = model.kpis.slice(0, shown.kpis);
  const tables = model.tables.slice(0, shown.tables);
  const rejected = dq.sources.reduce((n, s) => n + s.rowsRejected, 0);
  const th = 'padding:4px;font-weight:normal';
  const n = model.display.count;
  const sections = `${bannerSection(model.banners)}
    <mj-section background-color="${palette.card}" padding="16px 0" css-class="${css.card}">
      <mj-column>
        <mj-text font-size="20px" font-weight="bold">Pulse data notes</mj-text>
        <mj-text color="${palette.muted}">${escapeHtml(model.periodLabel)} · months ${escapeHtml(model.months.join(', '))} · ${escapeHtml(model.timezone)}</mj-text>
        <mj-text>Where each number in this period's reports comes from: the tables in the lake, what every source gave and what was kept, and for each KPI the query that reproduces it on the marts (${fileName(attachmentNames.queries)}, attached).</mj-text>
        ${model.slice ? `<mj-text color="${palette.status.warning}">This audience's values come from the slice ${htmlLabel(sliceText(model.slice, model.display), 120)}; the queries read the whole lake, so their rows hold every slice.</mj-text>` : ''}
        ${model.queriesRecorded ? '' : `<mj-text color="${palette.status.warning}">No queries were recorded for ${escapeHtml(model.periodId)} (reports/${escapeHtml(model.periodId)}/queries.json is absent): run evaluate for the period again.</mj-text>`}
        ${heading('Lake inventory')}
        <mj-table font-size="13px" padding="4px 12px">
          <tr style="text-align:left;color:${palette.muted}"><th style="${th}">Table</th><th style="${th};text-align:right">Rows</th><th style="${th}">Months</th><th style="${th}">Freshest</th></tr>
          ${inventoryRows(tables, n)}
        </mj-table>
        ${note(`Rows in period: rows in ${escapeHtml(model.months.join(', '))}. Freshest: the newest value of the column named under it (times in UTC). All ${model.tables.length} tables in ${fileName(attachmentNames.inventory)}.`)}
        ${heading('Data quality')}
        <mj-text><div style="${wraps}">${sourcesHtml(model)}</div></mj-text>
        ${sources.length < dq.sources.length ? note(`The ${sources.length} of ${dq.sources.length} sources with the most rejected rows; every source in ${fileName(attachmentNames.dataQuality)}.`) : ''}
        <mj-text><div style="${wraps}">Rows rejected: <b>${escapeHtml(n(rejected))}</b> of ${escapeHtml(n(dq.sources.reduce((sum, s) => sum + s.rowsRead, 0)))} read.<br>
          Left out of time metrics: <b>${escapeHtml(n(excluded.total))}</b>${excluded.total ? ` <span style="${small}">(${htmlLabel(reasonsText(excluded.byReason, shown.excludedReasons, model.display), 400)})</span>` : ''}; they still count in every count, effort measure and cost.<br>
          Older versions merged: <b>${escapeHtml(n(dq.duplicatesMerged))}</b> (a later version of the same record replaced them).</div></mj-text>
        ${note(`Every count by source, entity and reason in ${fileName(attachmentNames.dataQuality)}.`)}
        ${heading('KPI index')}
        <mj-text><div style="${wraps}">${kpis.map(kpiHtml).join('')}</div></mj-text>
        ${note(`${kpis.length < model.kpis.length ? `The first ${kpis.length} of ${model.kpis.length} KPIs. ` : ''}Full list in ${fileName(attachmentNames.queries)}: each KPI's definition, value and the query that returns its rows, runnable on Athena and on DuckDB.`)}
      </mj-column>
    </mj-section>`;
  const preview = `${model.tables.length} tables, ${model.kpis.length} KPIs with their SQL, ${n(rejected)} rows rejected`;
  return compileMjml(shellMjml({ title: model.subject, preview, sections }), 'analyst report');
}
