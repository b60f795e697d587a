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
      ...message.images.map((i) => ({ filename: i.filename, content: i.png, contentType: 'image/png', cid: i.cid, contentDisposition: 'inline' as const })),
      ...message.files.map((f) => ({ filename: f.filename, content: f.content, contentType: f.contentType })),
    ],
  });
  return composer.compile().build();
}
