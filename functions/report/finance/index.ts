import type { DisplayChoices } from '../../kpis/format.ts';
import type { KpiReport } from '../../kpis/types.ts';
import type { ReportMessage } from '../message.ts';
import { trcByCategoryChart } from './charts.ts';
import { financeFormat } from './format.ts';
import { financeHtml } from './layout.ts';
import { financeModel, type FinanceInputs } from './model.ts';
import { financeText } from './text.ts';
import { financeFiles } from './workbook.ts';

/**
 * The finance report: kpis.json for the headline numbers (the contract), the trc mart for the
 * breakdowns; model → chart → HTML, text, and the workbook with its CSV twins.
 */
export async function renderFinance(
  report: KpiReport,
  inputs: FinanceInputs,
  audience: { name: string; kpis?: string[] | undefined; banners?: string[] | undefined } & DisplayChoices,
): Promise<ReportMessage> {
  const model = financeModel(report, inputs, audience);
  const chart =
    model.history.points.length > 0 ? await trcByCategoryChart(model, financeFormat(model).amount) : undefined;
  return {
    subject: model.subject,
    html: await financeHtml(model, chart),
    text: financeText(model, chart),
    images: chart ? [chart] : [],
    files: await financeFiles(model, new Date(report.generatedAt)),
  };
}
