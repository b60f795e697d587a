import { MessageRejected, SendRawEmailCommand, SESClient, SESServiceException } from '@aws-sdk/client-ses';
import { mockClient } from 'aws-sdk-client-mock';
import { simpleParser } from 'mailparser';
import 'aws-sdk-client-mock-vitest/extend';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SesTransport, sesRawMessageLimitBytes } from '../../functions/adapters/aws/ses.ts';
import { MailSendError, MailTransportError } from '../../functions/errors.ts';
import type { OutgoingMail } from '../../functions/ports/mail.ts';
import { sendWithRetry, type RetryTimings } from '../../functions/stages/sendWithRetry.ts';

/** SES at the SDK boundary: what SendRawEmail is given, and what its errors (shapes as the SDK builds them) make us do. */
const ses = mockClient(SESClient);

beforeEach(() => ses.reset());
afterAll(() => ses.restore());

async function message(to = 'cfo@example.com'): Promise<OutgoingMail> {
  const raw = await new MailComposer({
    from: 'Pulse <pulse@example.com>',
    to: ['cfo@example.com', 'controller@example.com'],
    subject: 'Total cost of response — October 2026',
    text: 'TRC: 412 900 USD',
    attachments: [{ filename: 'trc.xlsx', content: Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0xff]) }],
  })
    .compile()
    .build();
  return { from: 'Pulse <pulse@example.com>', to, raw, period: '2026-10', audience: 'finance' };
}

function fastTimings(): Partial<RetryTimings> & { waits: number[] } {
  const waits: number[] = [];
  return { waits, retries: 4, random: () => 0, sleep: async (ms) => void waits.push(ms) };
}

/** The error the SDK raises for the Query API's <Code>Throttling</Code> (not a modelled exception). */
const throttling = () =>
  new SESServiceException({
    name: 'Throttling',
    $fault: 'client',
    $metadata: { httpStatusCode: 400, attempts: 1, totalRetryDelay: 0 },
    message: 'Maximum sending rate exceeded.',
  });

describe('SES SendRawEmail', () => {
  it('passes the raw message intact, one recipient as the destination, and the configuration set', async () => {
    // prepare
    ses.on(SendRawEmailCommand).resolves({ MessageId: '0100018f-ses-id' });
    const mail = await message();
    // act
    const sent = await new SesTransport({ region: 'eu-west-1', configurationSet: 'pulse-reports' }).send(mail);
    // assess
    expect(sent.messageId).toBe('0100018f-ses-id');
    expect(ses).toHaveReceivedCommandTimes(SendRawEmailCommand, 1);
    expect(ses).toHaveReceivedCommandWith(SendRawEmailCommand, {
      Source: 'Pulse <pulse@example.com>',
      Destinations: ['cfo@example.com'],
      ConfigurationSetName: 'pulse-reports',
    });
    const data = ses.commandCalls(SendRawEmailCommand)[0]!.args[0].input.RawMessage!.Data!;
    expect(Buffer.from(data).equals(mail.raw)).toBe(true);
    const parsed = await simpleParser(Buffer.from(data));
    expect(parsed.subject).toBe('Total cost of response — October 2026');
    expect(parsed.attachments.map((a) => [a.filename, a.content.toString('hex')])).toEqual([
      ['trc.xlsx', '504b030400ff'],
    ]);
  });

  it('leaves ConfigurationSetName out when none is configured', async () => {
    // prepare
    ses.on(SendRawEmailCommand).resolves({ MessageId: 'id' });
    // act
    await new SesTransport({ region: 'eu-west-1' }).send(await message());
    // assess
    expect(Object.keys(ses.commandCalls(SendRawEmailCommand)[0]!.args[0].input).sort()).toEqual([
      'Destinations',
      'RawMessage',
      'Source',
    ]);
  });

  it('retries Throttling twice, waiting the throttled backoff, then sends: 3 calls', async () => {
    // prepare
    ses
      .on(SendRawEmailCommand)
      .rejectsOnce(throttling())
      .rejectsOnce(throttling())
      .resolves({ MessageId: 'after-throttling' });
    const timings = fastTimings();
    // act
    const sent = await sendWithRetry(new SesTransport({ region: 'eu-west-1' }), await message(), { timings });
    // assess
    expect(sent).toEqual({ messageId: 'after-throttling', attempts: 3 });
    expect(ses).toHaveReceivedCommandTimes(SendRawEmailCommand, 3);
    // Throttled: at least half of min(cap, 2 s · 2^n) even with random() = 0.
    expect(timings.waits).toEqual([1_000, 2_000]);
  });

  it('does not retry MessageRejected and says what to check', async () => {
    // prepare
    ses.on(SendRawEmailCommand).rejects(
      new MessageRejected({
        $metadata: { httpStatusCode: 400 },
        message:
          'Email address is not verified. The following identities failed the check in region EU-WEST-1: pulse@example.com',
      }),
    );
    // act
    const failure = await sendWithRetry(new SesTransport({ region: 'eu-west-1' }), await message(), {
      timings: fastTimings(),
    }).catch((e: unknown) => e);
    // assess
    expect(ses).toHaveReceivedCommandTimes(SendRawEmailCommand, 1);
    expect(failure).toBeInstanceOf(MailSendError);
    const cause = (failure as MailSendError).cause as MailTransportError;
    expect(cause).toBeInstanceOf(MailTransportError);
    expect(cause.retryable).toBe(false);
    expect((failure as MailSendError).message).toMatch(
      /^cfo@example\.com: SES rejected the message: check that mail\.from is a verified identity.*MessageRejected: Email address is not verified.*\(not retried: a retry cannot help\)$/,
    );
  });

  it.each([
    ['MailFromDomainNotVerifiedException', /MAIL FROM domain/],
    ['ConfigurationSetDoesNotExistException', /mail\.configurationSet/],
    ['AccountSendingPausedException', /paused for the whole SES account/],
  ])('does not retry %s', async (name, hint) => {
    // prepare
    ses
      .on(SendRawEmailCommand)
      .rejects(
        new SESServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'refused' }),
      );
    // act
    const failure = (await sendWithRetry(new SesTransport({ region: 'eu-west-1' }), await message(), {
      timings: fastTimings(),
    }).catch((e: unknown) => e)) as MailSendError;
    // assess
    expect(ses).toHaveReceivedCommandTimes(SendRawEmailCommand, 1);
    expect(failure.message).toMatch(hint);
    expect((failure.cause as MailTransportError).retryable).toBe(false);
  });

  it('retries a 5xx from SES as throttling', async () => {
    // prepare
    ses
      .on(SendRawEmailCommand)
      .rejectsOnce(
        new SESServiceException({
          name: 'ServiceUnavailable',
          $fault: 'server',
          $metadata: { httpStatusCode: 503 },
          message: 'Service Unavailable',
        }),
      )
      .resolves({ MessageId: 'after-503' });
    const timings = fastTimings();
    // act
    const sent = await sendWithRetry(new SesTransport({ region: 'eu-west-1' }), await message(), { timings });
    // assess
    expect(sent.attempts).toBe(2);
    expect(timings.waits).toEqual([1_000]);
  });

  it('gives up on a daily quota at once: no wait of ours brings the quota back', async () => {
    // prepare
    ses.on(SendRawEmailCommand).rejects(
      new SESServiceException({
        name: 'Throttling',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Daily message quota exceeded.',
      }),
    );
    // act
    const failure = (await sendWithRetry(new SesTransport({ region: 'eu-west-1' }), await message(), {
      timings: fastTimings(),
    }).catch((e: unknown) => e)) as MailSendError;
    // assess
    expect(ses).toHaveReceivedCommandTimes(SendRawEmailCommand, 1);
    expect(failure.message).toContain('daily sending quota is used up');
  });

  it('refuses a message over the SendRawEmail limit, after base64, before calling SES', async () => {
    // prepare: one byte more than base64 fits in the limit (3 bytes → 4 characters).
    const mail = { ...(await message()), raw: Buffer.alloc((sesRawMessageLimitBytes / 4) * 3 + 1, 0x41) };
    // act
    const failure = await new SesTransport({ region: 'eu-west-1' }).send(mail).catch((e: unknown) => e);
    // assess
    expect(ses).toHaveReceivedCommandTimes(SendRawEmailCommand, 0);
    expect(failure).toBeInstanceOf(MailTransportError);
    expect((failure as MailTransportError).retryable).toBe(false);
    expect((failure as MailTransportError).message).toBe(
      'the message is 10.0 MB in base64 and SES SendRawEmail takes at most 10.0 MB: attach less (or link to the workbook) for audience finance',
    );
  });
});
