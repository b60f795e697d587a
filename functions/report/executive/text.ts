import type { MeasuredKpi } from '../../kpis/types.ts';
import { cutLabel } from '../html.ts';
import { removedNote, statusWord } from '../layout.ts';
import type { InlineImage } from '../message.ts';
import { marginNote, sampleNote } from '../sampleNotes.ts';
import type { ExecutiveModel } from './model.ts';

function kpiLine(k: MeasuredKpi, model: ExecutiveModel): string {
  const { display } = model;
  const target = k.target === null ? '' : `, target ${display.value(k.unit, k.target)}`;
  const margin = marginNote(k, model.display);
  const value = `${display.value(k.unit, k.value)}${margin ? ` ${margin}` : ''}`;
  const status = sampleNote(k, model.slice !== null, model.display) ?? statusWord[k.status]!;
  // A period compared with that has no data says so: its comparison is null, never 0.
  const against = (change: number | null, comparison: number | null, label: string) =>
    comparison === null ? `no data for ${label}` : `${display.change(k.unit, change, comparison).text} vs ${label}`;
  const changes = `${against(k.change, k.previous, model.previousLabel)}, ${against(k.changeLastYear, k.lastYear, model.lastYearLabel)}`;
  return `${cutLabel(k.label, 28).padEnd(28)} ${value.padStart(12)}  ${status.padEnd(9)} ${changes}${target}`;
}

/** The plain-text part: the same scorecard for clients that show no HTML, every chart as text. */
export function executiveText(
  model: ExecutiveModel,
  images: { sparks: Map<string, InlineImage>; charts: Map<string, InlineImage> },
): string {
  const { forecast, dataQuality: dq } = model;
  const n = (value: number) => model.display.count(value);
  const lines = [
    model.subject,
    `${model.periodLabel} · ${model.timezone}${model.slice ? ` · ${model.slice} only` : ''}`,
    ...model.banners.map((b) => `! ${b}`),
    '',
    ...model.headline.map((k) => kpiLine(k, model)),
    '',
    'What moved and why',
    ...(model.explanations.length
      ? model.explanations.slice(0, 8).map((e) => `- ${cutLabel(e, 300)}`)
      : ['Nothing moved beyond its threshold.']),
  ];
  if (forecast) {
    lines.push(
      '',
      `Next month: ${model.display.month(forecast.month)}`,
      `Expected tickets: ${n(forecast.expectedTickets)}${forecast.agentHoursNeeded !== null ? `; agent hours needed: ${n(forecast.agentHoursNeeded)}` : ''}`,
    );
    lines.push(
      ...forecast.byWeekday.map((d) => `  ${d.weekday}  ${n(d.expectedPerDay)} a day (${n(d.low)}–${n(d.high)})`),
    );
  }
  for (const section of model.families) {
    lines.push('', section.title, ...section.kpis.map((k) => kpiLine(k, model)));
    const chart = section.chart ? images.charts.get(section.chart.id) : undefined;
    if (chart) lines.push('', chart.alt, chart.text);
  }
  if (images.sparks.size > 0) {
    lines.push('', '13-month trends');
    for (const k of model.headline) {
      const spark = images.sparks.get(k.id);
      if (spark)
        lines.push(
          `${cutLabel(k.label, 40)}: ${spark.text
            .split('\n')
            .map((l) => l.split('  ')[1])
            .join(', ')}`,
        );
    }
  }
  if (model.notMeasured.length)
    lines.push(
      '',
      ...model.notMeasured.map((g) => `Not measured: ${g.labels.map((l) => cutLabel(l, 40)).join(', ')} (${g.reason})`),
    );
  lines.push(
    '',
    'Data quality',
    ...dq.sources
      .slice(0, 50)
      .map(
        (s) =>
          `${cutLabel(s.source, 40)}/${s.entity}: ${n(s.rowsRead)} read, ${n(s.rowsAccepted)} accepted, ${n(s.rowsRejected)} rejected${removedNote(s, n)}`,
      ),
    `Left out of time metrics: ${n(dq.excludedFromTimeMetrics.total)}; older versions merged: ${n(dq.duplicatesMerged)}`,
  );
  return lines.join('\n');
}
