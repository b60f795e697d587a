import type { KpiReport } from '../kpis/types.ts';
import { getJson } from '../ports/objectStore.ts';
import { renderScorecardMessage } from '../report/scorecard.ts';
import type { StageContext } from './context.ts';
import { reportKey } from './evaluate.ts';

export interface RenderSummary {
  audience: string;
  messageKey: string;
  htmlBytes: number;
  emlBytes: number;
}

export const messageKey = (period: string, audience: string) => `reports/${period}/${audience}/message.eml`;

/** render: kpis.json → one message per audience (message.eml, preview.html, attachments). */
export async function render(ctx: StageContext): Promise<RenderSummary[]> {
  const report = await getJson<KpiReport>(ctx.store, reportKey(ctx.period.id));
  if (!report) throw new Error(`${reportKey(ctx.period.id)} does not exist: run the evaluate stage first`);
  const summaries: RenderSummary[] = [];
  for (const audience of ctx.config.audiences) {
    const message = await renderScorecardMessage(
      report,
      { name: audience.name, ...(audience.kpis ? { kpis: audience.kpis } : {}) },
      { from: ctx.config.mail.from, to: audience.recipients },
    );
    const prefix = `reports/${ctx.period.id}/${audience.name}`;
    await ctx.store.put(`${prefix}/message.eml`, message.eml);
    await ctx.store.put(`${prefix}/preview.html`, inlinePreview(message.html, message.attachments));
    for (const attachment of message.attachments) {
      await ctx.store.put(`${prefix}/attachments/${attachment.filename}`, attachment.content);
    }
    summaries.push({ audience: audience.name, messageKey: `${prefix}/message.eml`, htmlBytes: Buffer.byteLength(message.html), emlBytes: message.eml.length });
    ctx.log(`render ${audience.name}: ${prefix}/message.eml (${Math.round(message.eml.length / 1024)} KB)`);
  }
  return summaries;
}

/** The preview opens in a browser without the MIME parts: cid: images point at the attachment files. */
function inlinePreview(html: string, attachments: { filename: string; cid?: string }[]): string {
  let preview = html;
  for (const a of attachments) {
    if (a.cid) preview = preview.split(`cid:${a.cid}`).join(`attachments/${encodeURIComponent(a.filename)}`);
  }
  return preview;
}
