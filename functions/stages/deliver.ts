import { lakeKeys } from '../model/lakeKeys.ts';
import { DeliveryError, MailSendError, ReportWithheldError, type FailedDelivery } from '../errors.ts';
import { alertOwners } from './alerts.ts';
import type { Here } from '../ports/lakeLock.ts';
import type { StageContext } from './context.ts';
import { claimRecipient, entryBody, type LedgerEntry } from './ledgerClaim.ts';
import { sendWithRetry, type RetryTimings } from './sendWithRetry.ts';

export interface DeliverySummary {
  audience: string;
  recipient: string;
  /** being_sent: another run claimed the recipient and may still be sending; left to it. */
  status: 'sent' | 'already_sent' | 'being_sent' | 'withheld';
  messageId?: string;
  /** Sent again on purpose (--resend) although the ledger said it had been sent. */
  resent?: boolean;
  /** Sent on resuming a claim that a run which stopped left pending (it may have sent it already). */
  resumed?: boolean;
  attempts?: number;
}

export interface DeliverOptions {
  /** Retry timings for the sends and the owners' alert (tests pass fast ones). */
  retry?: Partial<RetryTimings>;
  /** For tests: the host, clock and processes a claim found pending is judged against. */
  here?: () => Here;
}

export const ledgerKey = lakeKeys.ledger;

/**
 * deliver: each rendered message to each recipient, once. Each recipient is claimed in the ledger
 * before its send (a pending entry, created only if absent) and recorded as sent after it, so two
 * runs at once send one copy (docs/design.md, "Deliver claims before it sends"). A recipient
 * already sent is skipped unless --resend; one another run is sending is left to it; a claim left
 * pending by a run that stopped is resumed, and the log says so. A failed send is retried (sendWithRetry); a recipient that still
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
      const claim = await claimRecipient(ctx, key, audience.name, options.here);
      if (claim.kind === 'already_sent') {
        summaries.push({ audience: audience.name, recipient, status: 'already_sent' });
        continue;
      }
      if (claim.kind === 'elsewhere') {
        const { runId, pid, host, claimedAt } = claim.entry;
        ctx.log(
          `deliver ${audience.name}: ${recipient} is being sent by run ${runId} (pid ${pid} on ${host}, claimed ${claimedAt}): left to it`,
        );
        summaries.push({ audience: audience.name, recipient, status: 'being_sent' });
        continue;
      }
      const previous = claim.previous;
      const resumed = previous?.state === 'pending';
      if (resumed) ctx.log(resumeLine(audience.name, recipient, previous));
      let sent;
      try {
        sent = await sendWithRetry(
          ctx.mail,
          { from: ctx.config.mail.from, to: recipient, raw, period: ctx.period.id, audience: audience.name },
          { timings: options.retry ?? {}, log: ctx.log },
        );
      } catch (error) {
        if (!(error instanceof MailSendError)) throw error;
        // Not sent: the claim is withdrawn (a resend's earlier record put back), so the next run sends it.
        if (previous?.state === 'sent') await ctx.store.put(key, entryBody(previous));
        else await ctx.store.deletePrefix(key);
        ctx.log(`deliver ${audience.name}: ${error.message}`);
        failures.push({ audience: audience.name, recipient, error });
        continue;
      }
      // At-least-once, by design: a crash between the send and this write leaves the claim
      // pending, and the run that finds it resumes it, sending that one recipient again. Never
      // marking sent before the send means no recipient is recorded as sent without a send.
      const entry: LedgerEntry = {
        ...claim.entry,
        state: 'sent',
        messageId: sent.messageId,
        sentAt: new Date().toISOString(),
      };
      await ctx.store.put(key, entryBody(entry));
      summaries.push({
        audience: audience.name,
        recipient,
        status: 'sent',
        messageId: sent.messageId,
        attempts: sent.attempts,
        ...(previous?.state === 'sent' ? { resent: true } : {}),
        ...(resumed ? { resumed: true } : {}),
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

function resumeLine(audience: string, recipient: string, claim: LedgerEntry): string {
  return (
    `deliver ${audience}: resuming ${recipient}: run ${claim.runId} (pid ${claim.pid} on ${claim.host}) claimed it at ` +
    `${claim.claimedAt} and stopped before recording a send; sending now (if that run's send went through, ` +
    'this is a second copy: at least once, docs/design.md)'
  );
}

function deliveredLine(summaries: DeliverySummary[], failed: number): string {
  const count = (test: (s: DeliverySummary) => boolean) => summaries.filter(test).length;
  const parts = [
    `${count((s) => s.status === 'sent' && !s.resent)} sent`,
    `${count((s) => s.status === 'already_sent')} already sent before`,
  ];
  const resent = count((s) => s.resent === true);
  if (resent > 0) parts.push(`resent ${resent} (asked with --resend)`);
  const resumed = count((s) => s.resumed === true);
  if (resumed > 0) parts.push(`${resumed} resumed from a stopped run's claim`);
  const elsewhere = count((s) => s.status === 'being_sent');
  if (elsewhere > 0) parts.push(`${elsewhere} being sent by another run`);
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
