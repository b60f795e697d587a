import { formatChange, formatValue } from '../../kpis/format.ts';
import { statusWord } from '../layout.ts';
import type { InlineImage } from '../message.ts';
import type { ExecutiveModel } from './model.ts';

/** The plain-text part: the same scorecard for clients that show no HTML, charts as text. */
export function executiveText(model: ExecutiveModel, chart: InlineImage | undefined): string {
  const { currency, forecast, dataQuality: dq } = model;
  return [
    model.subject,
    '',
    ...model.headline.map((k) => `${k.label.padEnd(28)} ${formatValue(k.unit, k.value, currency).padStart(12)}  ${statusWord[k.status]!.padEnd(8)} ${formatChange(k.unit, k.change, currency)}`),
    '',
    'What moved and why',
    ...(model.explanations.length ? model.explanations.slice(0, 8).map((e) => `- ${e}`) : ['Nothing moved beyond its threshold.']),
    ...(forecast ? ['', `Next month (${forecast.month}): ${forecast.expectedTickets} tickets expected${forecast.agentHoursNeeded !== null ? `, ${forecast.agentHoursNeeded} agent hours needed` : ''}.`] : []),
    ...(chart ? ['', 'Tickets created per month', chart.text] : []),
    '',
    'Data quality',
    ...dq.sources.map((s) => `${s.source}/${s.entity}: ${s.rowsRead} read, ${s.rowsAccepted} accepted, ${s.rowsRejected} rejected`),
    `Left out of time metrics: ${dq.excludedFromTimeMetrics.total}`,
  ].join('\n');
}
