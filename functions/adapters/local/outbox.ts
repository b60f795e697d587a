import { createHash } from 'node:crypto';
import { lakeKeys, ownersAudience } from '../../model/lakeKeys.ts';
import type { MailTransport, OutgoingMail } from '../../ports/mail.ts';
import type { ObjectStore } from '../../ports/objectStore.ts';

/** The local default for SES: each message lands as an .eml file under outbox/ in the lake. */
export class OutboxTransport implements MailTransport {
  constructor(private readonly store: ObjectStore) {}

  async send(mail: OutgoingMail): Promise<{ messageId: string }> {
    // A report goes to a recipient once per period (the ledger sees to it); alerts to the owners
    // can be several in a period, so each keeps its own file, named by its content.
    const digest = createHash('sha256').update(mail.raw).digest('hex').slice(0, 16);
    const key = lakeKeys.outbox(
      mail.period,
      mail.audience,
      mail.to,
      mail.audience === ownersAudience ? digest.slice(0, 8) : undefined,
    );
    await this.store.put(key, mail.raw);
    return { messageId: `outbox-${digest}` };
  }
}
