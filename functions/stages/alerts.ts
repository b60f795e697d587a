import { redact } from '../redaction.ts';
import { composeTextMime } from '../report/mime.ts';
import type { StageContext } from './context.ts';
import { sendWithRetry, type RetryTimings } from './sendWithRetry.ts';
import { ownersAudience } from '../model/lakeKeys.ts';

export interface OwnerAlert {
  subject: string;
  lines: string[];
}

export interface AlertOutcome {
  sent: string[];
  failed: { owner: string; reason: string }[];
}

/**
 * Tells `owners` something went wrong: a plain-text message to each, through the run's own
 * mail transport with the same retries as the report. Never throws: an alert that cannot be
 * sent is logged, and the failure it was about still fails the run. Alerts carry messages of
 * typed errors, which never hold a secret's value (functions/ports/secrets.ts); the text is
 * redacted all the same (functions/redaction.ts), as a cause may quote what a server answered.
 */
export async function alertOwners(
  ctx: StageContext,
  alert: OwnerAlert,
  options: { retry?: Partial<RetryTimings> } = {},
): Promise<AlertOutcome> {
  const outcome: AlertOutcome = { sent: [], failed: [] };
  if (ctx.config.owners.length === 0) {
    ctx.log(`alert not sent (no owners in the config): ${alert.subject}`);
    return outcome;
  }
  for (const owner of ctx.config.owners) {
    try {
      const raw = await composeTextMime(
        { subject: redact(`[Pulse] ${alert.subject}`), text: redact(`${alert.lines.join('\n')}\n`) },
        { from: ctx.config.mail.from, to: owner },
      );
      await sendWithRetry(
        ctx.mail,
        { from: ctx.config.mail.from, to: owner, raw, period: ctx.period.id, audience: ownersAudience },
        { timings: options.retry ?? {}, log: ctx.log },
      );
      outcome.sent.push(owner);
    } catch (error) {
      const reason = (error as Error)?.message ?? String(error);
      outcome.failed.push({ owner, reason });
      ctx.log(`alert to owner ${reason}: the owners were not told "${alert.subject}"`);
    }
  }
  if (outcome.sent.length > 0) ctx.log(`alerted ${outcome.sent.length} owner(s): ${alert.subject}`);
  return outcome;
}

/** The alert for a stage that failed: which run, which stage, the cause, what to do next. */
export function stageFailureAlert(ctx: StageContext, stage: string, cause: unknown): OwnerAlert {
  return {
    subject: `${ctx.period.id}: the ${stage} stage failed`,
    lines: [
      `The Pulse run ${ctx.runId} for ${ctx.period.id} failed in the ${stage} stage.`,
      '',
      `Cause: ${(cause as Error)?.message ?? String(cause)}`,
      '',
      `Fix the cause, then run the period again (pulse run --config … --period ${ctx.period.id}): work already done is kept, and recipients already sent are not sent again.`,
    ],
  };
}
