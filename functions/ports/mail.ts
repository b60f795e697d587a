/** Sends one raw MIME message to one recipient: SES, SMTP or an outbox folder. */
export interface OutgoingMail {
  from: string;
  to: string;
  raw: Buffer;
  /** Used by the outbox to name the file: reports/<period>/<audience>. */
  period: string;
  audience: string;
}

export interface MailTransport {
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
}
