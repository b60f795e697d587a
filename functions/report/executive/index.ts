import type { KpiReport } from '../../kpis/types.ts';
import type { ReportMessage } from '../message.ts';
import { volumeChart } from './charts.ts';
import { executiveHtml } from './layout.ts';
import { executiveModel } from './model.ts';
import { executiveText } from './text.ts';

/** The executive scorecard: model → charts → HTML and text. */
export async function renderExecutive(report: KpiReport, audience: { kpis?: string[] | undefined }): Promise<ReportMessage> {
  const model = executiveModel(report, audience);
  const chart = model.volume ? await volumeChart(model.volume) : undefined;
  return {
    subject: model.subject,
    html: await executiveHtml(model, chart),
    text: executiveText(model, chart),
    images: chart ? [chart] : [],
    files: [],
  };
}
