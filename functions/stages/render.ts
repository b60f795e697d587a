import type { AudienceConfig, ReportKind } from '../config/schema.ts';
import type { KpiReport } from '../kpis/types.ts';
import { getJson } from '../ports/objectStore.ts';
import { renderExecutive } from '../report/executive/index.ts';
import type { ReportMessage } from '../report/message.ts';
import { composeMime } from '../report/mime.ts';
import type { StageContext } from './context.ts';
import { reportKey } from './evaluate.ts';

export interface RenderSummary {
  audience: string;
  report: ReportKind;
  messageKey: string;
  htmlBytes: number;
  emlBytes: number;
}

export const audiencePrefix = (period: string, audience: string) => `reports/${period}/${audience}`;
export const messageKey = (period: string, audience: string) => `${audiencePrefix(period, audience)}/message.eml`;
/** Present while an audience's report for the period is withheld; deliver sends nothing for it. */
export const withheldKey = (period: string, audience: string) => `${audiencePrefix(period, audience)}/withheld.json`;

/** One renderer per kind of report: each is pure (kpis.json and its inputs in, bytes out). */
async function renderMessage(report: KpiReport, audience: AudienceConfig): Promise<ReportMessage> {
  switch (audience.report) {
    case 'executive':
      return renderExecutive(report, audience);
    default:
      throw new Error(`audience ${audience.name}: the ${audience.report} report is not part of this build yet`);
  }
}

/** render: kpis.json → one message per audience (message.eml, preview.html, attachments). */
export async function render(ctx: StageContext): Promise<RenderSummary[]> {
  const report = await getJson<KpiReport>(ctx.store, reportKey(ctx.period.id));
  if (!report) throw new Error(`${reportKey(ctx.period.id)} does not exist: run the evaluate stage first`);
  const summaries: RenderSummary[] = [];
  for (const audience of ctx.config.audiences) {
    const message = await renderMessage(report, audience);
    const eml = await composeMime(message, { from: ctx.config.mail.from, to: audience.recipients });
    const prefix = audiencePrefix(ctx.period.id, audience.name);
    await ctx.store.put(`${prefix}/message.eml`, eml);
    await ctx.store.put(`${prefix}/preview.html`, inlinePreview(message));
    for (const image of message.images) await ctx.store.put(`${prefix}/attachments/${image.filename}`, image.png);
    for (const file of message.files) await ctx.store.put(`${prefix}/attachments/${file.filename}`, file.content);
    summaries.push({ audience: audience.name, report: audience.report, messageKey: `${prefix}/message.eml`, htmlBytes: Buffer.byteLength(message.html), emlBytes: eml.length });
    ctx.log(`render ${audience.name}: ${prefix}/message.eml (${Math.round(eml.length / 1024)} KB)`);
  }
  return summaries;
}

/** The preview opens in a browser without the MIME parts: cid: images point at the attachment files. */
function inlinePreview(message: ReportMessage): string {
  let preview = message.html;
  for (const image of message.images) preview = preview.split(`cid:${image.cid}`).join(`attachments/${encodeURIComponent(image.filename)}`);
  return preview;
}
