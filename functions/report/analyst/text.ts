import { cutLabel } from '../html.ts';
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
import type { AnalystModel } from './model.ts';

/** The plain-text part: the same notes for clients that show no HTML, lists cut as in the HTML. */
export function analystText(model: AnalystModel): string {
  const dq = model.dataQuality;
  const sources = topSources(model);
  const excluded = dq.excludedFromTimeMetrics;
  const kpis = model.kpis.slice(0, shown.kpis);
  const tables = model.tables.slice(0, shown.tables);
  const width = Math.min(28, Math.max(5, ...tables.map((t) => t.table.length)));
  const n = model.display.count;
  return [
    model.subject,
    `${model.periodLabel} · months ${model.months.join(', ')} · ${model.timezone}`,
    ...model.banners.map((b) => `! ${b}`),
    '',
    `Where each number in this period's reports comes from; each KPI's query is in ${attachmentNames.queries} (attached).`,
    ...(model.slice
      ? [
          `This audience's values come from the slice ${sliceText(model.slice, model.display)}; the queries read the whole lake.`,
        ]
      : []),
    ...(model.queriesRecorded
      ? []
      : [`No queries were recorded for ${model.periodId}: run evaluate for the period again.`]),
    '',
    'Lake inventory (rows · in period · months · freshest)',
    ...tables.map(
      (t) =>
        `${t.layer === 'mart' ? 'mart    ' : 'curated '} ${cutLabel(t.table, width).padEnd(width)} ${n(t.rows).padStart(11)} ${(t.rowsInPeriod === null ? '–' : n(t.rowsInPeriod)).padStart(11)}  ${monthsText(t)} · ${instantText(t.freshest)}${t.freshestColumn ? ` (${t.freshestColumn})` : ''}`,
    ),
    `All tables in ${attachmentNames.inventory}.`,
    '',
    'Data quality',
    ...sources.flatMap((s) => [
      `${cutLabel(s.source)} (${cutLabel(s.entity, 30)}): ${sourceLine(s, model.display)}`,
      ...(s.rowsRejected > 0
        ? [
            `  rejected by reason: ${cutLabel(reasonsText(s.rejectedByReason, shown.reasonsPerSource, model.display), 240)}`,
          ]
        : []),
      `  freshest record ${instantText(s.freshestRecordAt)} · last extract ${instantText(s.lastExtractAt)}`,
    ]),
    ...(sources.length < dq.sources.length
      ? [
          `The ${sources.length} of ${dq.sources.length} sources with the most rejected rows; every source in ${attachmentNames.dataQuality}.`,
        ]
      : []),
    `Left out of time metrics: ${n(excluded.total)}${excluded.total ? ` (${cutLabel(reasonsText(excluded.byReason, shown.excludedReasons, model.display), 400)})` : ''}`,
    `Older versions merged: ${n(dq.duplicatesMerged)}`,
    `Every count by source, entity and reason in ${attachmentNames.dataQuality}.`,
    '',
    'KPI index',
    ...kpis.flatMap((k) => [
      `${cutLabel(k.label)}${k.trace.kind === 'not_measured' ? '' : `: ${k.shown}`}`,
      `  ${cutLabel(k.id)} · ${cutLabel(traceText(k), 200)}`,
      `  ${k.derivation}`,
    ]),
    ...(kpis.length < model.kpis.length ? [`The first ${kpis.length} of ${model.kpis.length} KPIs.`] : []),
    `Full list with each KPI's query in ${attachmentNames.queries}.`,
  ].join('\n');
}
