import { lakeKeys } from '../model/lakeKeys.ts';
import { DeliveryError, MailSendError, ReportWithheldError, type FailedDelivery } from '../errors.ts';
import { alertOwners } from './alerts.ts';
import type { StageContext } from './context.ts';
import { sendWithRetry, type RetryTimings } from './sendWithRetry.ts';

export interface DeliverySummary {
  audience: string;
  recipient: string;
  status: 'sent' | 'already_sent' | 'withheld';
  messageId?: string;
  /** Sent again on purpose (--resend) although the ledger said it had been sent. */
  resent?: boolean;
  attempts?: number;
}

export interface DeliverOptions {
  /** Retry timings for the sends and the owners' alert (tests pass fast ones). */
  retry?: Partial<RetryTimings>;
}

export const ledgerKey = lakeKeys.ledger;

/**
 * deliver: each rendered message to each recipient, once. A recipient already in the ledger is
 * skipped unless --resend. A failed send is retried (sendWithRetry); a recipient that still
 * fails does not stop the others: when every recipient has been tried, the owners are alerted
 * and the stage fails with a DeliveryError naming each failed recipient and its cause.
 */
export async function deliver(ctx: StageContext, options: DeliverOptions = {}): Promise<DeliverySummary[]> {
  const summaries: DeliverySummary[] = [];
  const failures: FailedDelivery[] = [];
  const withheldReasons: string[] = [];
  for (const audience of ctx.config.audiences) {
    const withheld = await ctx.store.get(lakeKeys.withheld(ctx.period.id, audience.name));
    if (withheld) {
      withheldReasons.push(withheldReason(withheld).replace(/^: /, ''));
      ctx.log(
        `deliver ${audience.name}: the report is withheld (${lakeKeys.withheld(ctx.period.id, audience.name)}${withheldReason(withheld)}): nothing sent`,
      );
      summaries.push(
        ...audience.recipients.map((recipient) => ({
          audience: audience.name,
          recipient,
          status: 'withheld' as const,
        })),
      );
      continue;
    }
    const raw = await ctx.store.get(lakeKeys.message(ctx.period.id, audience.name));
    if (!raw)
      throw new Error(`${lakeKeys.message(ctx.period.id, audience.name)} does not exist: run the render stage first`);
    for (const recipient of audience.recipients) {
      const key = ledgerKey(ctx.period.id, audience.name, recipient);
      const inLedger = (await ctx.store.get(key)) !== undefined;
      if (inLedger && !ctx.resend) {
        summaries.push({ audience: audience.name, recipient, status: 'already_sent' });
        continue;
      }
      let sent;
      try {
        sent = await sendWithRetry(
          ctx.mail,
          { from: ctx.config.mail.from, to: recipient, raw, period: ctx.period.id, audience: audience.name },
          { timings: options.retry ?? {}, log: ctx.log },
        );
      } catch (error) {
        if (!(error instanceof MailSendError)) throw error;
        ctx.log(`deliver ${audience.name}: ${error.message}`);
        failures.push({ audience: audience.name, recipient, error });
        continue;
      }
      // At-least-once, by design: the entry is written only after the service accepted the
      // message, so no recipient is ever marked sent without having been sent. A crash between
      // the send and this write leaves no entry, and the next run sends that one recipient
      // again (one duplicate at most); claiming first would lose the message instead.
      const entry = JSON.stringify({
        period: ctx.period.id,
        audience: audience.name,
        messageId: sent.messageId,
        sentAt: new Date().toISOString(),
        runId: ctx.runId,
      });
      if (ctx.resend) await ctx.store.put(key, entry);
      else if (!(await ctx.store.putIfAbsent(key, entry))) {
        ctx.log(
          `deliver ${audience.name}: ${recipient} was also sent by another run at the same time (its ledger entry appeared during the send)`,
        );
      }
      summaries.push({
        audience: audience.name,
        recipient,
        status: 'sent',
        messageId: sent.messageId,
        attempts: sent.attempts,
        ...(inLedger ? { resent: true } : {}),
      });
    }
  }
  ctx.log(deliveredLine(summaries, failures.length));
  if (failures.length > 0) {
    // The owners are told here, with every failed recipient, so runStages does not alert again.
    await alertOwners(
      ctx,
      {
        subject: `${ctx.period.id}: ${failures.length} report e-mail(s) could not be sent`,
        lines: [
          `The Pulse run ${ctx.runId} for ${ctx.period.id} could not send to:`,
          ...failures.map((f) => `  - ${f.audience} → ${f.error.message}`),
          '',
          `${summaries.filter((s) => s.status === 'sent').length} sent in this run; recipients already sent are in the ledger.`,
          `Fix the cause, then run deliver again (pulse run --config … --period ${ctx.period.id} --stages deliver): only the recipients above are sent.`,
        ],
      },
      { retry: options.retry ?? {} },
    );
    throw new DeliveryError(failures, { ownersAlerted: true });
  }
  const withheld = withheldReasons.filter((r) => r.length > 0);
  if (withheldReasons.length > 0) {
    // The other audiences were sent; the run still fails, so a schedule shows the withheld report.
    // render alerted the owners when it withheld it.
    const sent = summaries.filter((s) => s.status === 'sent').length;
    throw new ReportWithheldError(
      `${withheld.length > 0 ? withheld.join('; ') : `${withheldReasons.length} report(s) withheld`} (${sent} sent to the other audiences)`,
      { ownersAlerted: true },
    );
  }
  return summaries;
}

function deliveredLine(summaries: DeliverySummary[], failed: number): string {
  const count = (test: (s: DeliverySummary) => boolean) => summaries.filter(test).length;
  const parts = [
    `${count((s) => s.status === 'sent' && !s.resent)} sent`,
    `${count((s) => s.status === 'already_sent')} already sent before`,
  ];
  const resent = count((s) => s.resent === true);
  if (resent > 0) parts.push(`resent ${resent} (asked with --resend)`);
  const withheld = count((s) => s.status === 'withheld');
  if (withheld > 0) parts.push(`${withheld} withheld`);
  if (failed > 0) parts.push(`${failed} failed`);
  return `deliver: ${parts.join(', ')}`;
}

/** The reasons render wrote in withheld.json are worth a line in the log; the file's presence is what counts. */
function withheldReason(body: Buffer): string {
  try {
    const reasons = (JSON.parse(body.toString('utf8')) as { reasons?: unknown }).reasons;
    return Array.isArray(reasons) && reasons.length > 0 ? `: ${reasons.map(String).join('; ')}` : '';
  } catch {
    return '';
  }
}
