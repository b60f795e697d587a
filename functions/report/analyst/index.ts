import type { DisplayChoices } from '../../kpis/format.ts';
import type { KpiReport } from '../../kpis/types.ts';
import type { ReportMessage } from '../message.ts';
import { dataQualityCsv, kpiQueriesSql, lakeInventoryCsv } from './files.ts';
import { analystHtml } from './layout.ts';
import { analystModel, type AnalystInputs } from './model.ts';
import { analystText } from './text.ts';

export type { AnalystInputs, KpiQueries, LakeInventory } from './model.ts';

/** The analyst's data notes: model → HTML and text, with the whole lists as attachments. No charts. */
export async function renderAnalyst(
  report: KpiReport,
  inputs: AnalystInputs,
  audience: { name: string; kpis?: string[] | undefined; banners?: string[] | undefined } & DisplayChoices,
): Promise<ReportMessage> {
  const model = analystModel(report, inputs, audience);
  return {
    subject: model.subject,
    html: await analystHtml(model),
    text: analystText(model),
    images: [],
    files: [kpiQueriesSql(model), lakeInventoryCsv(model), dataQualityCsv(model)],
  };
}
