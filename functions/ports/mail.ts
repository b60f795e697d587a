/**
 * Sends one raw MIME message to one recipient: SES, SMTP or an outbox folder. A transport
 * throws MailTransportError (functions/errors.ts) when a send fails, saying whether a retry can
 * help; the retrying itself is one module for every transport (functions/stages/sendWithRetry.ts).
 */
export interface OutgoingMail {
  from: string;
  /** The envelope recipient: the one address this copy goes to, whatever the To: header lists. */
  to: string;
  raw: Buffer;
  /** Used by the outbox to name the file: outbox/<period>/<audience>. */
  period: string;
  audience: string;
}

export interface SentMail {
  /** The service's id for the message (SES MessageId), or the message's own Message-ID header. */
  messageId: string;
}

export interface MailTransport {
  send(mail: OutgoingMail): Promise<SentMail>;
}

/** The Message-ID header of a raw message, if it has one (the header block ends at the first blank line). */
export function messageIdOf(raw: Buffer): string | undefined {
  const end = raw.indexOf('\r\n\r\n');
  const headers = raw.subarray(0, end === -1 ? Math.min(raw.length, 64 * 1024) : end).toString('utf8');
  return /^message-id:[ \t]*(<[^>\r\n]+>)/im.exec(headers)?.[1];
}
