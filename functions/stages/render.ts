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
import { publishedAnalystInputs, publishedFinanceInputs, reportInputsKey } from './publish.ts';
import { reportKeyFor } from './evaluate.ts';
import { keepOrCompute, type StageInputs } from './inputsFingerprint.ts';

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
 * What render reads for one audience (docs/design.md, "Re-runs"): the report it renders and the
 * inputs evaluate wrote for it, the audience as configured, how numbers and codes print, the
 * sender, whether a stale report is withheld, and the period.
 */
export function renderInputs(ctx: StageContext, audience: AudienceConfig): StageInputs {
  const reads = new Set([reportKeyFor(ctx.period.id, audience), reportInputsKey(ctx.period.id, audience) ?? '']);
  return {
    prefixes: [...reads].filter(Boolean),
    reads: (key) => reads.has(key),
    settings: {
      period: ctx.period,
      audience,
      locale: ctx.config.locale,
      labels: ctx.config.labels,
      from: ctx.config.mail.from,
      withholdStale: ctx.config.definitions.withholdStale,
    },
  };
}

/**
 * render: kpis.json → one message per audience (message.eml, preview.html, attachments). A
 * blank period, or a stale one with withholdStale, is withheld: no message, a withheld.json that
 * deliver honours, and one alert to the owners; a stale source otherwise puts a banner on top.
 * An audience whose inputs (renderInputs) have not changed since its message was written keeps
 * it, and alerts no one again; --force renders it anew.
 */
export async function render(ctx: StageContext): Promise<RenderSummary[]> {
  const summaries: RenderSummary[] = [];
  // One alert per kind of verdict, naming every audience it concerns: each audience's own line
  // (its first) once, in audience order, then the lines the verdict shares (sources, advice).
  const alerts: Alerts = new Map();
  // Audiences whose message was written from the same inputs, kept as it is (docs/design.md, "Re-runs").
  const kept: string[] = [];
  for (const audience of ctx.config.audiences) {
    const place = {
      name: `render ${audience.name}`,
      record: lakeKeys.renderInputs(ctx.period.id, audience.name),
      under: `${audiencePrefix(ctx.period.id, audience.name)}/`,
    };
    const { summary, keptSince } = await keepOrCompute(ctx, place, renderInputs(ctx, audience), () =>
      renderAudience(ctx, audience, alerts),
    );
    summaries.push(summary);
    if (keptSince) kept.push(keptSince);
  }
  if (kept.length > 0)
    ctx.log(
      `render: inputs unchanged since ${kept.sort().at(-1)}, kept ${kept.length} report${kept.length > 1 ? 's' : ''}`,
    );
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

type Alerts = Map<string, { subject: string; own: Set<string>; shared: string[]; audiences: string[] }>;

/** One audience's message, or its withheld.json, written; its verdict's alert added to `alerts`. */
async function renderAudience(
  ctx: StageContext,
  audience: AudienceConfig,
  alerts: Alerts,
): Promise<{ summary: RenderSummary; outputs: string[] }> {
  const written: string[] = [];
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
  const put = async (key: string, body: Buffer | string) => {
    await ctx.store.put(key, body);
    written.push(key);
  };
  let summary: RenderSummary;
  if (verdict.withheld.length > 0) {
    await put(
      lakeKeys.withheld(ctx.period.id, audience.name),
      `${JSON.stringify({ period: ctx.period.id, audience: audience.name, reasons: verdict.withheld, runId: ctx.runId }, null, 2)}\n`,
    );
    summary = {
      audience: audience.name,
      report: audience.report,
      messageKey: `${prefix}/message.eml`,
      htmlBytes: 0,
      emlBytes: 0,
      withheld: verdict.withheld,
    };
    ctx.log(`render ${audience.name}: withheld: ${verdict.withheld.join('; ')}`);
  } else {
    await ctx.store.deletePrefix(lakeKeys.withheld(ctx.period.id, audience.name));
    const message = await renderMessage(ctx, report, audience, verdict.banners);
    const eml = await composeMime(message, { from: ctx.config.mail.from, to: audience.recipients });
    await put(`${prefix}/message.eml`, eml);
    await put(`${prefix}/preview.html`, inlinePreview(message));
    for (const image of message.images) await put(`${prefix}/attachments/${image.filename}`, image.png);
    for (const file of message.files) await put(`${prefix}/attachments/${file.filename}`, file.content);
    summary = {
      audience: audience.name,
      report: audience.report,
      messageKey: `${prefix}/message.eml`,
      htmlBytes: Buffer.byteLength(message.html),
      emlBytes: eml.length,
    };
    ctx.log(`render ${audience.name}: ${prefix}/message.eml (${Math.round(eml.length / 1024)} KB)`);
  }
  return { summary, outputs: written };
}

/** The preview opens in a browser without the MIME parts: cid: images point at the attachment files. */
function inlinePreview(message: ReportMessage): string {
  let preview = message.html;
  for (const image of message.images)
    preview = preview.split(`cid:${image.cid}`).join(`attachments/${encodeURIComponent(image.filename)}`);
  return preview;
}
