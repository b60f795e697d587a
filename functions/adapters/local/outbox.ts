import { createHash } from 'node:crypto';
import type { MailTransport, OutgoingMail } from '../../ports/mail.ts';
import type { ObjectStore } from '../../ports/objectStore.ts';

/** The local default for SES: each message lands as an .eml file under outbox/ in the lake. */
export class OutboxTransport implements MailTransport {
  constructor(private readonly store: ObjectStore) {}

  async send(mail: OutgoingMail): Promise<{ messageId: string }> {
    const safe = mail.to.replace(/[^a-z0-9@._-]/gi, '_');
    const key = `outbox/${mail.period}/${mail.audience}/${safe}.eml`;
    await this.store.put(key, mail.raw);
    return { messageId: `outbox-${createHash('sha256').update(mail.raw).digest('hex').slice(0, 16)}` };
  }
}
