import type { AudienceConfig, ReportKind } from '../config/schema.ts';
import { lakeKeys } from '../model/lakeKeys.ts';
import { ReportWithheldError } from '../errors.ts';
import { reportVerdict } from '../kpis/guard.ts';
import type { KpiReport } from '../kpis/types.ts';
import { getJson } from '../ports/objectStore.ts';
import { renderAnalyst } from '../report/analyst/index.ts';
import { renderExecutive } from '../report/executive/index.ts';
import { renderFinance } from '../report/finance/index.ts';
import type { ReportMessage } from '../report/message.ts';
import { composeMime } from '../report/mime.ts';
import type { StageContext } from './context.ts';
import { alertOwners } from './alerts.ts';
import { publishedAnalystInputs, publishedFinanceInputs } from './publish.ts';
import { reportKeyFor } from './evaluate.ts';

export interface RenderSummary {
  audience: string;
  report: ReportKind;
  messageKey: string;
  htmlBytes: number;
  emlBytes: number;
  /** Why the report is not to be sent, when it is withheld. */
  withheld?: string[];
}

export const audiencePrefix = lakeKeys.audience;

const reportTitle: Record<ReportKind, string> = {
  executive: 'The executive scorecard',
  finance: 'The finance report',
  analyst: 'The analyst report',
};

/**
 * One renderer per kind of report: each is pure (kpis.json and its inputs in, bytes out). The
 * inputs a kind reads besides kpis.json are the files evaluate wrote for the audience
 * (functions/stages/publish.ts): render queries nothing.
 */
async function renderMessage(
  ctx: StageContext,
  report: KpiReport,
  audience: AudienceConfig,
  banners: string[],
): Promise<ReportMessage> {
  // The config's locale and labels: how every report prints numbers and codes (functions/kpis/format.ts).
  const options = {
    name: audience.name,
    kpis: audience.kpis,
    banners,
    locale: ctx.config.locale,
    labels: ctx.config.labels,
  };
  switch (audience.report) {
    case 'executive':
      return renderExecutive(report, options);
    case 'finance':
      return renderFinance(report, await publishedFinanceInputs(ctx, audience), options);
    case 'analyst':
      return renderAnalyst(report, await publishedAnalystInputs(ctx, audience), options);
  }
}

/**
 * render: kpis.json → one message per audience (message.eml, preview.html, attachments). A
 * blank period, or a stale one with withholdStale, is withheld: no message, a withheld.json that
 * deliver honours, and one alert to the owners; a stale source otherwise puts a banner on top.
 */
export async function render(ctx: StageContext): Promise<RenderSummary[]> {
  const summaries: RenderSummary[] = [];
  // One alert per kind of verdict, naming every audience it concerns: each audience's own line
  // (its first) once, in audience order, then the lines the verdict shares (sources, advice).
  const alerts = new Map<string, { subject: string; own: Set<string>; shared: string[]; audiences: string[] }>();
  for (const audience of ctx.config.audiences) {
    const key = reportKeyFor(ctx.period.id, audience);
    const report = await getJson<KpiReport>(ctx.store, key);
    if (!report) throw new Error(`${key} does not exist: run the evaluate stage first`);
    const prefix = audiencePrefix(ctx.period.id, audience.name);
    const verdict = reportVerdict(report, reportTitle[audience.report], {
      withholdStale: ctx.config.definitions.withholdStale,
    });
    // The finance report compares whole months of the cost marts, which a period to date cannot
    // cut like for like: it waits for the period's end rather than compare part with whole.
    if (report.period.partial && audience.report === 'finance')
      verdict.withheld.push(
        `${reportTitle.finance} for ${report.period.label} is withheld: it compares whole months, and the period has not ended`,
      );
    if (verdict.alert) {
      const [own, ...shared] = verdict.alert.lines;
      const seen = alerts.get(verdict.alert.subject) ?? {
        subject: verdict.alert.subject,
        own: new Set<string>(),
        shared,
        audiences: [],
      };
      if (own !== undefined) seen.own.add(own);
      seen.audiences.push(audience.name);
      alerts.set(verdict.alert.subject, seen);
    }
    if (verdict.withheld.length > 0) {
      await ctx.store.put(
        lakeKeys.withheld(ctx.period.id, audience.name),
        `${JSON.stringify({ period: ctx.period.id, audience: audience.name, reasons: verdict.withheld, runId: ctx.runId }, null, 2)}\n`,
      );
      summaries.push({
        audience: audience.name,
        report: audience.report,
        messageKey: `${prefix}/message.eml`,
        htmlBytes: 0,
        emlBytes: 0,
        withheld: verdict.withheld,
      });
      ctx.log(`render ${audience.name}: withheld: ${verdict.withheld.join('; ')}`);
      continue;
    }
    await ctx.store.deletePrefix(lakeKeys.withheld(ctx.period.id, audience.name));
    const message = await renderMessage(ctx, report, audience, verdict.banners);
    const eml = await composeMime(message, { from: ctx.config.mail.from, to: audience.recipients });
    await ctx.store.put(`${prefix}/message.eml`, eml);
    await ctx.store.put(`${prefix}/preview.html`, inlinePreview(message));
    for (const image of message.images) await ctx.store.put(`${prefix}/attachments/${image.filename}`, image.png);
    for (const file of message.files) await ctx.store.put(`${prefix}/attachments/${file.filename}`, file.content);
    summaries.push({
      audience: audience.name,
      report: audience.report,
      messageKey: `${prefix}/message.eml`,
      htmlBytes: Buffer.byteLength(message.html),
      emlBytes: eml.length,
    });
    ctx.log(`render ${audience.name}: ${prefix}/message.eml (${Math.round(eml.length / 1024)} KB)`);
  }
  for (const alert of alerts.values()) {
    await alertOwners(ctx, {
      subject: alert.subject,
      lines: [...alert.own, ...alert.shared, '', `Audiences: ${alert.audiences.join(', ')}`],
    });
  }
  const withheld = summaries.filter((s) => s.withheld);
  if (withheld.length === summaries.length && withheld.length > 0) {
    throw new ReportWithheldError([...new Set(withheld.flatMap((s) => s.withheld!))].join('; '), {
      ownersAlerted: true,
    });
  }
  return summaries;
}

/** The preview opens in a browser without the MIME parts: cid: images point at the attachment files. */
function inlinePreview(message: ReportMessage): string {
  let preview = message.html;
  for (const image of message.images)
    preview = preview.split(`cid:${image.cid}`).join(`attachments/${encodeURIComponent(image.filename)}`);
  return preview;
}
