import type { KpiReport } from '../../kpis/types.ts';
import type { InlineImage, ReportMessage } from '../message.ts';
import { familyChart, sparkline } from './charts.ts';
import { executiveHtml } from './layout.ts';
import { executiveModel, type ExecutiveOptions } from './model.ts';
import { executiveText } from './text.ts';

/** The executive scorecard: model → charts → HTML and text. */
export async function renderExecutive(report: KpiReport, audience: ExecutiveOptions): Promise<ReportMessage> {
  const model = executiveModel(report, audience);
  const sparks = new Map<string, InlineImage>();
  for (const kpi of model.headline)
    if (kpi.history.some((p) => p.value !== null))
      sparks.set(kpi.id, await sparkline(kpi, model.currency, model.display));
  const charts = new Map<string, InlineImage>();
  for (const section of model.families)
    if (section.chart) charts.set(section.chart.id, await familyChart(section.chart, model.currency, model.display));
  const images = { sparks, charts };
  return {
    subject: model.subject,
    html: await executiveHtml(model, images),
    text: executiveText(model, images),
    images: [...sparks.values(), ...charts.values()],
    files: [],
  };
}
