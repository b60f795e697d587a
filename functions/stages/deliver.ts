import { createHash } from 'node:crypto';
import type { StageContext } from './context.ts';
import { messageKey } from './render.ts';

export interface DeliverySummary {
  audience: string;
  recipient: string;
  status: 'sent' | 'already_sent';
  messageId?: string;
}

export const ledgerKey = (period: string, audience: string, recipient: string) =>
  `ledger/${period}/${audience}/${createHash('sha256').update(recipient.toLowerCase()).digest('hex').slice(0, 32)}.json`;

/**
 * deliver: each rendered message to each recipient, once. The ledger entry for
 * (period, audience, recipient) is written with a conditional put after the send; a re-run
 * skips recipients already in the ledger unless --resend.
 */
export async function deliver(ctx: StageContext): Promise<DeliverySummary[]> {
  const summaries: DeliverySummary[] = [];
  for (const audience of ctx.config.audiences) {
    const raw = await ctx.store.get(messageKey(ctx.period.id, audience.name));
    if (!raw) throw new Error(`${messageKey(ctx.period.id, audience.name)} does not exist: run the render stage first`);
    for (const recipient of audience.recipients) {
      const key = ledgerKey(ctx.period.id, audience.name, recipient);
      if (!ctx.resend && (await ctx.store.get(key))) {
        summaries.push({ audience: audience.name, recipient, status: 'already_sent' });
        continue;
      }
      const { messageId } = await ctx.mail.send({ from: ctx.config.mail.from, to: recipient, raw, period: ctx.period.id, audience: audience.name });
      const entry = JSON.stringify({ period: ctx.period.id, audience: audience.name, messageId, sentAt: new Date().toISOString(), runId: ctx.runId });
      if (ctx.resend) await ctx.store.put(key, entry);
      else await ctx.store.putIfAbsent(key, entry);
      summaries.push({ audience: audience.name, recipient, status: 'sent', messageId });
    }
  }
  const sent = summaries.filter((s) => s.status === 'sent').length;
  ctx.log(`deliver: ${sent} sent, ${summaries.length - sent} already sent before`);
  return summaries;
}
