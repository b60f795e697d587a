import path from 'node:path';
import { SendRawEmailCommand, SESClient } from '@aws-sdk/client-ses';
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SesTransport } from '../../functions/adapters/aws/ses.ts';
import { MailTransportError } from '../../functions/errors.ts';
import type { OutgoingMail } from '../../functions/ports/mail.ts';
import { deliver } from '../../functions/stages/deliver.ts';
import { runStages } from '../../functions/stages/index.ts';
import { catalogRun, freshLake } from '../support/pipelineRun.ts';
import { sesV1MessageLimit, startSesLocal, type SesLocal } from './ses.ts';

/**
 * The SES stand-in, driven by the real client and by Pulse's SES adapter: what it keeps is what
 * was sent, what it refuses is what SES refuses, and the messages deliver sends parse.
 */
let ses: SesLocal;

beforeAll(async () => {
  const identities = ['pulse@example.com', 'reports.example.org'];
  ses = await startSesLocal({ identities, configurationSets: ['pulse-reports'] });
  vi.stubEnv('AWS_ENDPOINT_URL_SES', ses.url);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'LOCAL');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'LOCAL');
  vi.stubEnv('AWS_REGION', 'eu-west-1');
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await ses.close();
});

afterEach(() => {
  ses.messages.length = 0;
  ses.refusals.length = 0;
});

/** What a send threw; a send that went through fails the test. */
const failureOf = (sending: Promise<unknown>) =>
  sending.then(
    () => Promise.reject(new Error('sent, not refused')),
    (e: unknown) => e as MailTransportError,
  );

/** A raw message of the given text, addressed as deliver addresses it. */
const rawMail = (text: string): OutgoingMail => ({
  from: 'pulse@example.com',
  to: 'cfo@example.com',
  raw: Buffer.from(`From: pulse@example.com\r\nTo: cfo@example.com\r\n${text}`),
  period: '2026-10',
  audience: 'x',
});

type MailOptions = { from?: string; to?: string; attachment?: Buffer };

async function mail(options: MailOptions = {}): Promise<OutgoingMail> {
  const from = options.from ?? 'Pulse <pulse@example.com>';
  const to = options.to ?? 'cfo@example.com';
  const raw = await new MailComposer({
    from,
    to,
    subject: 'Total cost of response — October 2026',
    text: 'TRC: 412 900 USD',
    attachments: [{ filename: 'trc.xlsx', content: options.attachment ?? Buffer.from([0x50, 0x4b, 0x03, 0x04]) }],
  })
    .compile()
    .build();
  return { from, to, raw, period: '2026-10', audience: 'finance' };
}

describe('the SES stand-in', () => {
  it('accepts SendRawEmail and keeps the message, its sender, destination and configuration set', async () => {
    // prepare
    const message = await mail();
    // act
    const sent = await new SesTransport({ configurationSet: 'pulse-reports' }).send(message);
    // assess
    expect(sent.messageId).toMatch(/^0100[0-9a-f]{12}-[0-9a-f-]{36}-000000$/);
    expect(ses.messages).toHaveLength(1);
    const [kept] = ses.messages;
    expect(kept).toMatchObject({
      messageId: sent.messageId,
      source: 'Pulse <pulse@example.com>',
      destinations: ['cfo@example.com'],
      configurationSet: 'pulse-reports',
      problems: [],
    });
    expect(kept!.raw.equals(message.raw)).toBe(true);
    const parsed = await simpleParser(kept!.raw);
    expect(parsed.subject).toBe('Total cost of response — October 2026');
    expect(parsed.attachments.map((a) => a.filename)).toEqual(['trc.xlsx']);
  });

  it('accepts a sender of a verified domain', async () => {
    await new SesTransport().send(await mail({ from: 'Pulse <pulse@reports.example.org>' }));
    expect(ses.messages).toHaveLength(1);
  });

  it('refuses an unverified sender with MessageRejected, which the adapter does not retry and explains', async () => {
    // act
    const from = 'Pulse <pulse@localhost>';
    const failed = `EU-WEST-1: ${from}`;
    const failure = await failureOf(new SesTransport().send(await mail({ from })));
    // assess
    expect(ses.messages).toEqual([]);
    expect(ses.refusals).toEqual([
      {
        code: 'MessageRejected',
        message: `Email address is not verified. The following identities failed the check in region ${failed}`,
        source: from,
      },
    ]);
    expect(failure).toBeInstanceOf(MailTransportError);
    expect(failure.retryable).toBe(false);
    expect(failure.message).toContain('check that mail.from is a verified identity');
  });

  it('in the sandbox, refuses an unverified recipient and accepts the mailbox simulator', async () => {
    // prepare
    const sandbox = await startSesLocal({ identities: ['pulse@example.com'], sandbox: true });
    const client = new SESClient({ endpoint: sandbox.url, maxAttempts: 1 });
    const send = async (to: string) => {
      const Data = (await mail({ to })).raw;
      const Source = 'pulse@example.com';
      return client.send(new SendRawEmailCommand({ Source, Destinations: [to], RawMessage: { Data } }));
    };
    try {
      // act
      const refused = await send('cfo@example.com').catch((e: unknown) => e as Error);
      await send('success@simulator.amazonses.com');
      // assess
      const said = 'failed the check in region EU-WEST-1: cfo@example.com';
      expect(refused).toMatchObject({ name: 'MessageRejected', message: expect.stringContaining(said) });
      expect(sandbox.messages.map((m) => m.destinations)).toEqual([['success@simulator.amazonses.com']]);
    } finally {
      client.destroy();
      await sandbox.close();
    }
  });

  it('measures the 10 MB limit after base64: 7,864,320 bytes pass, one more byte is refused', async () => {
    // prepare: base64 of n bytes is 4·⌈n/3⌉ characters, so 7,864,320 bytes encode to exactly the limit.
    const client = new SESClient({ maxAttempts: 1 });
    const to = { Source: 'pulse@example.com', Destinations: ['cfo@example.com'] };
    const send = (Data: Buffer) => client.send(new SendRawEmailCommand({ ...to, RawMessage: { Data } }));
    const header = Buffer.from('From: pulse@example.com\r\nTo: cfo@example.com\r\nSubject: big\r\n\r\n');
    const sized = (n: number) => Buffer.concat([header, Buffer.alloc(n - header.length, 'A')]);
    try {
      // act
      await send(sized((sesV1MessageLimit / 4) * 3));
      const refused = await send(sized((sesV1MessageLimit / 4) * 3 + 1)).catch((e: unknown) => e as Error);
      // assess
      expect(ses.messages).toHaveLength(1);
      const said = "Message length is more than 10485760 bytes long: '10485764'.";
      expect(refused).toMatchObject({ name: 'InvalidParameterValue', message: said });
    } finally {
      client.destroy();
    }
  });

  it('the adapter refuses, before calling SES, a message whose base64 passes the limit but not its bytes', async () => {
    // prepare: 8 MB of bytes are 10.7 MB in base64.
    const message = await mail({ attachment: Buffer.alloc(6 * 1024 * 1024, 7) });
    expect(message.raw.length).toBeLessThan(sesV1MessageLimit);
    // act
    const failure = await failureOf(new SesTransport().send(message));
    // assess
    expect(ses.messages).toEqual([]);
    expect(ses.refusals).toEqual([]);
    expect(failure).toBeInstanceOf(MailTransportError);
    expect(failure.retryable).toBe(false);
    expect(failure.message).toMatch(/^the message is 10\.\d MB in base64 and SES SendRawEmail takes at most 10\.0 MB/);
  });

  it('refuses a header that may appear once, twice', async () => {
    const failure = await failureOf(new SesTransport().send(rawMail('Subject: one\r\nSubject: two\r\n\r\nbody\r\n')));
    const refused = [['InvalidParameterValue', "Duplicate header 'Subject'."]];
    expect(ses.refusals.map((r) => [r.code, r.message])).toEqual(refused);
    expect(failure.message).toContain('SES refused the send');
  });

  it('refuses a configuration set that does not exist', async () => {
    const failure = await failureOf(new SesTransport({ configurationSet: 'nope' }).send(await mail()));
    expect(ses.refusals.map((r) => r.code)).toEqual(['ConfigurationSetDoesNotExist']);
    expect(failure.message).toContain('the SES configuration set does not exist');
  });

  it('notes a line over 1,000 characters on the kept message (the API accepts it; it bounces later)', async () => {
    await new SesTransport().send(rawMail(`Subject: long\r\n\r\n${'x'.repeat(1200)}\r\n`));
    expect(ses.messages[0]!.problems).toEqual(['line 5 is 1200 characters (at most 998 and CRLF)']);
  });
});

describe("deliver's messages through the SES stand-in", () => {
  const lake = path.resolve(import.meta.dirname, '../../.tmp/standin-ses-deliver');
  afterAll(() => freshLake(lake));

  it('one per recipient, each a well-formed message with its text, HTML, charts and files', async () => {
    // prepare: the golden catalog rendered on the local path, then sent through SES.
    const ctx = await catalogRun(freshLake(lake));
    ctx.config.mail = { transport: 'ses', from: 'Pulse <pulse@example.com>' };
    await runStages(ctx, ['extract', 'curate', 'marts', 'evaluate', 'render']);
    // act
    const summaries = await deliver({ ...ctx, mail: new SesTransport() });
    await ctx.engine.close();
    // assess
    expect(summaries.map((s) => s.status)).toEqual(['sent', 'sent', 'sent']);
    const recipients = ['ceo@example.com', 'coo@example.com', 'cfo@example.com'];
    expect(ses.messages.map((m) => m.destinations[0])).toEqual(recipients);
    expect(ses.messages.map((m) => m.problems)).toEqual([[], [], []]);
    const parsed = await Promise.all(ses.messages.map((m) => simpleParser(m.raw, { keepCidLinks: true })));
    for (const message of parsed) {
      expect(message.from?.value[0]?.address).toBe('pulse@example.com');
      expect(message.subject).toContain('October 2026');
      expect(message.text?.length).toBeGreaterThan(200);
      expect(message.html).toContain('<table');
      const images = message.attachments.filter((a) => a.contentType === 'image/png');
      expect(images.length).toBeGreaterThan(0);
      // Every chart the HTML shows is a part of the message.
      for (const cid of [...String(message.html).matchAll(/cid:([^"')\s]+)/g)].map((m) => m[1])) {
        expect(images.map((i) => i.cid)).toContain(cid);
      }
    }
    // Finance gets the TRC workbook.
    expect(parsed[2]!.attachments.filter((a) => a.filename?.endsWith('.xlsx'))).toHaveLength(1);
  }, 180_000);
});
