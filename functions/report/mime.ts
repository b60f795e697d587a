import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { ReportMessage } from './message.ts';

export interface Addressing {
  from: string;
  to: string[];
}

/** Raw MIME: multipart/alternative (text, HTML) with the charts inline by Content-ID and the files attached. */
export async function composeMime(message: ReportMessage, addressing: Addressing): Promise<Buffer> {
  const composer = new MailComposer({
    from: addressing.from,
    to: addressing.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    attachments: [
      ...message.images.map((i) => ({
        filename: i.filename,
        content: i.png,
        contentType: 'image/png',
        cid: i.cid,
        contentDisposition: 'inline' as const,
      })),
      ...message.files.map((f) => ({ filename: f.filename, content: f.content, contentType: f.contentType })),
    ],
  });
  return withCrlf(await composer.compile().build());
}

/** A plain-text message (an alert to the owners), composed the same way. */
export async function composeTextMime(
  message: { subject: string; text: string },
  addressing: { from: string; to: string },
): Promise<Buffer> {
  return withCrlf(
    await new MailComposer({ from: addressing.from, to: addressing.to, subject: message.subject, text: message.text })
      .compile()
      .build(),
  );
}

/**
 * RFC 5322 lines end in CRLF. MailComposer keeps the bare LFs of 7-bit text parts (MJML's HTML,
 * the text part), which SMTP relays then rewrite: normalised here, the bytes sent equal the
 * bytes stored. Every part is 7-bit (base64 or quoted-printable), so no payload byte is an LF.
 */
export function withCrlf(raw: Buffer): Buffer {
  return Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}
