import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EnvSecrets } from '../../functions/adapters/local/envSecrets.ts';
import { SmtpTransport, type SmtpSettings } from '../../functions/adapters/local/smtp.ts';
import { MailSendError, MailTransportError, SecretError } from '../../functions/errors.ts';
import type { SecretResolver } from '../../functions/ports/secrets.ts';
import type { OutgoingMail } from '../../functions/ports/mail.ts';
import { sendWithRetry, type RetryTimings } from '../../functions/stages/sendWithRetry.ts';

/** A real SMTP server (smtp-server) on 127.0.0.1, a random port, with a certificate for 127.0.0.1 (test/fixtures/smtp-tls). */
const tlsDir = path.resolve(import.meta.dirname, '../fixtures/smtp-tls');
const cert = readFileSync(path.join(tlsDir, 'cert.pem'));
const key = readFileSync(path.join(tlsDir, 'key.pem'));
const password = 'correct horse battery staple';

interface Received {
  raw: Buffer;
  rcptTo: string[];
  mailFrom: string | undefined;
  secure: boolean;
  user: unknown;
}

const servers: SMTPServer[] = [];

async function startServer(options: SMTPServerOptions = {}): Promise<{ port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = new SMTPServer({
    key,
    cert,
    logger: false,
    authOptional: true,
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          raw: Buffer.concat(chunks),
          rcptTo: session.envelope.rcptTo.map((a) => a.address),
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          secure: session.secure,
          user: session.user,
        });
        callback();
      });
    },
    ...options,
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { port: (server.server.address() as net.AddressInfo).port, received };
}

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function message(to = 'ceo@example.com'): Promise<OutgoingMail> {
  const raw = await new MailComposer({
    from: 'pulse@example.com',
    to,
    subject: 'Customer service scorecard — October 2026',
    text: 'Tickets created: 1 204\r\nTickets solved: 1 187',
  })
    .compile()
    .build();
  return { from: 'pulse@example.com', to, raw, period: '2026-10', audience: 'executive' };
}

/** No real waits: every backoff is recorded instead of slept. */
function fastTimings(): Partial<RetryTimings> & { waits: number[] } {
  const waits: number[] = [];
  return { waits, retries: 3, random: () => 0.5, sleep: async (ms) => void waits.push(ms) };
}

const transport = (port: number, settings: Partial<SmtpSettings> = {}) =>
  new SmtpTransport({ host: '127.0.0.1', port, secure: false, ...settings }, new EnvSecrets(), {
    tls: { ca: cert },
    connectionTimeoutMs: 2_000,
    greetingTimeoutMs: 2_000,
    socketTimeoutMs: 5_000,
  });

const smtpReply = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code });

describe('SMTP delivery against a real server on loopback', () => {
  it('logs in over STARTTLS with the password an env: reference names, and delivers the bytes it was given', async () => {
    // prepare
    vi.stubEnv('PULSE_TEST_SMTP_PASSWORD', password);
    const logins: { username?: string | null; password?: string | null }[] = [];
    const { port, received } = await startServer({
      authOptional: false,
      onAuth(auth, _session, callback) {
        logins.push({ username: auth.username, password: auth.password });
        if (auth.username === 'pulse' && auth.password === password) return callback(null, { user: 'pulse' });
        return callback(smtpReply(535, 'Authentication credentials invalid'));
      },
    });
    const mail = await message();
    // act
    const sent = await sendWithRetry(
      transport(port, { user: 'pulse', password: 'env:PULSE_TEST_SMTP_PASSWORD' }),
      mail,
      { timings: fastTimings() },
    );
    // assess
    expect(sent.attempts).toBe(1);
    expect(logins).toEqual([{ username: 'pulse', password }]);
    expect(received).toHaveLength(1);
    const [copy] = received;
    expect(copy!.secure).toBe(true);
    expect(copy!.user).toBe('pulse');
    expect(copy!.rcptTo).toEqual(['ceo@example.com']);
    expect(copy!.mailFrom).toBe('pulse@example.com');
    expect(copy!.raw.equals(mail.raw)).toBe(true);
    const parsed = await simpleParser(copy!.raw);
    expect(parsed.subject).toBe('Customer service scorecard — October 2026');
    expect(parsed.messageId).toBe(sent.messageId);
  });

  it('speaks TLS from the first byte with secure: true', async () => {
    // prepare
    const { port, received } = await startServer({ secure: true });
    // act
    await sendWithRetry(transport(port, { secure: true }), await message(), { timings: fastTimings() });
    // assess
    expect(received.map((r) => r.secure)).toEqual([true]);
  });

  it('never logs in to a server that offers no STARTTLS, and says why', async () => {
    // prepare: a server that takes a login in clear, and offers no TLS at all.
    vi.stubEnv('PULSE_TEST_SMTP_PASSWORD', password);
    const logins: unknown[] = [];
    const { port, received } = await startServer({
      authOptional: false,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      onAuth(auth, _session, callback) {
        logins.push(auth);
        return callback(null, { user: auth.username });
      },
    });
    // act
    const failure = (await sendWithRetry(
      transport(port, { user: 'pulse', password: 'env:PULSE_TEST_SMTP_PASSWORD' }),
      await message(),
      { timings: fastTimings() },
    ).catch((e: unknown) => e)) as MailSendError;
    // assess: no AUTH reached the server, nothing was sent, and the message says what to do.
    expect(logins).toEqual([]);
    expect(received).toEqual([]);
    expect(failure).toBeInstanceOf(MailSendError);
    expect(failure.attempts).toBe(1);
    expect(failure.message).toContain(`the SMTP server 127.0.0.1:${port} offers no TLS`);
    expect(failure.message).toContain('mail.insecure: true for a relay on loopback');
  });

  it('logs in without TLS to a relay on loopback when the config says insecure', async () => {
    // prepare
    vi.stubEnv('PULSE_TEST_SMTP_PASSWORD', password);
    const logins: { username?: string | null; password?: string | null }[] = [];
    const { port, received } = await startServer({
      authOptional: false,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      onAuth(auth, _session, callback) {
        logins.push({ username: auth.username, password: auth.password });
        return callback(null, { user: auth.username });
      },
    });
    // act
    const settings = { user: 'pulse', password: 'env:PULSE_TEST_SMTP_PASSWORD', insecure: true };
    await sendWithRetry(transport(port, settings), await message(), { timings: fastTimings() });
    // assess
    expect(logins).toEqual([{ username: 'pulse', password }]);
    expect(received.map((r) => [r.secure, r.user])).toEqual([[false, 'pulse']]);
  });

  it('retries a server that answers 421 and then 451, and delivers exactly one copy', async () => {
    // prepare
    let connections = 0;
    let dataCommands = 0;
    const { port, received } = await startServer({
      onConnect(_session, callback) {
        connections += 1;
        return connections === 1 ? callback(smtpReply(421, 'Too many connections, try again later')) : callback();
      },
      onData(stream, session, callback) {
        dataCommands += 1;
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (dataCommands === 1)
            return callback(smtpReply(451, 'Requested action aborted: local error in processing'));
          received.push({
            raw: Buffer.concat(chunks),
            rcptTo: session.envelope.rcptTo.map((a) => a.address),
            mailFrom: undefined,
            secure: session.secure,
            user: session.user,
          });
          return callback();
        });
      },
    });
    const timings = fastTimings();
    const logged: string[] = [];
    // act
    const sent = await sendWithRetry(transport(port), await message(), { timings, log: (m) => logged.push(m) });
    // assess
    expect(sent.attempts).toBe(3);
    expect(connections).toBe(3);
    expect(received).toHaveLength(1);
    expect(received[0]!.rcptTo).toEqual(['ceo@example.com']);
    expect(timings.waits).toHaveLength(2);
    expect(logged[0]).toMatch(/attempt 1 failed .*421 Too many connections/);
    expect(logged[1]).toMatch(/attempt 2 failed .*451 Requested action aborted/);
  });

  it('does not retry a 550 and names the recipient', async () => {
    // prepare
    let recipients = 0;
    const { port, received } = await startServer({
      onRcptTo(address, _session, callback) {
        recipients += 1;
        return callback(smtpReply(550, `5.1.1 <${address.address}>: Recipient address rejected: User unknown`));
      },
    });
    // act
    const failure = await sendWithRetry(transport(port), await message('gone@example.com'), {
      timings: fastTimings(),
    }).catch((e: unknown) => e);
    // assess
    expect(failure).toBeInstanceOf(MailSendError);
    const error = failure as MailSendError;
    expect(error.attempts).toBe(1);
    expect(recipients).toBe(1);
    expect(received).toHaveLength(0);
    expect(error.message).toMatch(
      /^gone@example\.com: the SMTP server 127\.0\.0\.1:\d+ refused the recipient: 550 5\.1\.1/,
    );
    expect(error.message).toContain('not retried');
    expect((error.cause as MailTransportError).retryable).toBe(false);
  });

  it('retries a closed port, then fails saying what to check', async () => {
    // prepare
    const port = await closedPort();
    const timings = fastTimings();
    // act
    const failure = await sendWithRetry(transport(port), await message(), { timings }).catch((e: unknown) => e);
    // assess
    expect(failure).toBeInstanceOf(MailSendError);
    const error = failure as MailSendError;
    expect(error.attempts).toBe(4);
    expect(timings.waits).toHaveLength(3);
    expect(error.message).toBe(
      `ceo@example.com: could not reach the SMTP server 127.0.0.1:${port} (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port}): is the server running, and are mail.host and mail.port right? (4 attempts)`,
    );
  });

  it('does not retry a refused login, says what to check, and never shows the password', async () => {
    // prepare
    vi.stubEnv('PULSE_TEST_SMTP_PASSWORD', 'not-the-password');
    let logins = 0;
    const { port } = await startServer({
      authOptional: false,
      onAuth(_auth, _session, callback) {
        logins += 1;
        return callback(smtpReply(535, 'Authentication credentials invalid'));
      },
    });
    // act
    const failure = (await sendWithRetry(
      transport(port, { user: 'pulse', password: 'env:PULSE_TEST_SMTP_PASSWORD' }),
      await message(),
      { timings: fastTimings() },
    ).catch((e: unknown) => e)) as MailSendError;
    // assess
    expect(logins).toBe(1);
    expect(failure.attempts).toBe(1);
    expect(failure.message).toContain('refused the login');
    expect(failure.message).toContain('check mail.user and the secret mail.password refers to');
    expect(
      JSON.stringify({
        message: failure.message,
        cause: String(failure.cause),
        inner: String((failure.cause as Error).cause),
      }),
    ).not.toContain('not-the-password');
  });

  it('fails without connecting when the password reference is not set, naming the reference only', async () => {
    // prepare
    let connections = 0;
    const { port } = await startServer({ onConnect: (_s, cb) => void ((connections += 1), cb()) });
    // act
    const failure = (await sendWithRetry(
      transport(port, { user: 'pulse', password: 'env:PULSE_TEST_UNSET_PASSWORD' }),
      await message(),
      { timings: fastTimings() },
    ).catch((e: unknown) => e)) as MailSendError;
    // assess
    expect(connections).toBe(0);
    expect(failure.attempts).toBe(1);
    expect(failure.message).toBe(
      'ceo@example.com: mail.password: env:PULSE_TEST_UNSET_PASSWORD: the environment variable PULSE_TEST_UNSET_PASSWORD is not set: set it before running pulse (not retried: a retry cannot help)',
    );
  });

  it('looks a secret that cannot be had up once per run, not once per recipient; a throttled one again', async () => {
    // prepare: a resolver that counts its lookups
    const { port } = await startServer({});
    let lookups = 0;
    const failing = (retryable: boolean): SecretResolver => ({
      resolve: async (ref) => {
        lookups += 1;
        throw new SecretError(ref, retryable ? 'Secrets Manager is throttling' : 'no such secret', { retryable });
      },
    });
    const settings = {
      host: '127.0.0.1',
      port,
      secure: false,
      user: 'pulse',
      password: 'arn:aws:secretsmanager:eu-west-1:1:secret:smtp',
    };
    // act: two recipients through the same transport, for a permanent and for a passing failure
    const permanent = new SmtpTransport(settings, failing(false));
    for (const to of ['a@example.com', 'b@example.com'])
      await permanent.send({ ...(await message()), to }).catch(() => undefined);
    const afterPermanent = lookups;
    const throttled = new SmtpTransport(settings, failing(true));
    for (const to of ['a@example.com', 'b@example.com'])
      await throttled.send({ ...(await message()), to }).catch(() => undefined);
    // assess
    expect(afterPermanent).toBe(1);
    expect(lookups - afterPermanent).toBe(2);
  });
});
