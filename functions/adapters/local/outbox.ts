import { createHash } from 'node:crypto';
import { lakeKeys } from '../../model/lakeKeys.ts';
import type { MailTransport, OutgoingMail } from '../../ports/mail.ts';
import type { ObjectStore } from '../../ports/objectStore.ts';

/** The local default for SES: each message lands as an .eml file under outbox/ in the lake. */
export class OutboxTransport implements MailTransport {
  constructor(private readonly store: ObjectStore) {}

  async send(mail: OutgoingMail): Promise<{ messageId: string }> {
    const key = lakeKeys.outbox(mail.period, mail.audience, mail.to);
    await this.store.put(key, mail.raw);
    return { messageId: `outbox-${createHash('sha256').update(mail.raw).digest('hex').slice(0, 16)}` };
  }
}
