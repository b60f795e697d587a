import type { ConnectionOptions } from 'node:tls';
import { getSystemErrorName } from 'node:util';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { MailTransportError, PulseError } from '../../errors.ts';
import { messageIdOf, type MailTransport, type OutgoingMail, type SentMail } from '../../ports/mail.ts';
import type { SecretResolver } from '../../ports/secrets.ts';

export interface SmtpSettings {
  host: string;
  port: number;
  /** true: TLS from the first byte (port 465); false: STARTTLS whenever the server offers it. Default: port 465. */
  secure?: boolean;
  user?: string;
  /** A secret reference (env:NAME, a Secrets Manager ARN), resolved at the first send. */
  password?: string;
  /** A relay on loopback may take the login without TLS; elsewhere the password goes only over TLS. */
  insecure?: boolean;
}

export interface SmtpOptions {
  /** Extra TLS options, e.g. `ca` for a relay whose certificate a private CA signed. */
  tls?: ConnectionOptions;
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
}

/** Node's own codes for a network that may come back: worth another attempt. */
const transientNetworkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

/**
 * Mail through an SMTP relay with nodemailer's SMTP transport. The message goes as the raw
 * MIME render built (nodemailer's `raw`), with the envelope naming the one recipient; with
 * `secure: false` nodemailer upgrades with STARTTLS whenever the server offers it, and with a
 * login it must (`requireTLS`): a server that offers no STARTTLS never sees the password, unless
 * the config says `insecure` for a relay on loopback (docs/design.md, "Security").
 */
export class SmtpTransport implements MailTransport {
  private transporter?: Promise<Transporter<SMTPTransport.SentMessageInfo>>;

  constructor(
    private readonly settings: SmtpSettings,
    private readonly secrets: SecretResolver,
    private readonly options: SmtpOptions = {},
  ) {}

  async send(mail: OutgoingMail): Promise<SentMail> {
    const transporter = await this.connectOnce(mail.to);
    try {
      const info = await transporter.sendMail({ envelope: { from: mail.from, to: [mail.to] }, raw: mail.raw });
      return { messageId: messageIdOf(mail.raw) ?? info.messageId };
    } catch (error) {
      throw this.typed(error, mail.to);
    }
  }

  /** One nodemailer transport per instance, made at the first send so a run without deliver needs no secret. */
  private connectOnce(recipient: string): Promise<Transporter<SMTPTransport.SentMessageInfo>> {
    this.transporter ??= this.createTransporter().catch((error: unknown) => {
      // A secret that cannot be had now (throttled) is asked again at the next send; one that
      // cannot be had at all (no such secret, access denied) stays failed for the run, so each
      // recipient does not cost another lookup and the owners are not told the same thing twice.
      if (error instanceof PulseError && error.retryable) this.transporter = undefined;
      throw new MailTransportError(`mail.password: ${(error as Error).message}`, {
        recipient,
        retryable: false,
        cause: error,
      });
    });
    return this.transporter;
  }

  private async createTransporter(): Promise<Transporter<SMTPTransport.SentMessageInfo>> {
    const { host, port, user, password } = this.settings;
    const pass = password ? await this.secrets.resolve(password) : undefined;
    return nodemailer.createTransport({
      host,
      port,
      secure: this.settings.secure ?? port === 465,
      ...(user ? { auth: { user, pass }, requireTLS: !this.settings.insecure } : {}),
      connectionTimeout: this.options.connectionTimeoutMs ?? 10_000,
      greetingTimeout: this.options.greetingTimeoutMs ?? 10_000,
      socketTimeout: this.options.socketTimeoutMs ?? 60_000,
      ...(this.options.tls ? { tls: this.options.tls } : {}),
      // The message is prebuilt bytes: nothing may be read from a path or a URL.
      disableFileAccess: true,
      disableUrlAccess: true,
      logger: false,
    });
  }

  /** What went wrong, in the user's terms, and whether another attempt can help (RFC 5321 §4.2.1: 4yz transient, 5yz permanent). */
  private typed(error: unknown, recipient: string): MailTransportError {
    const e = error as NodeJS.ErrnoException & { responseCode?: number; response?: string; command?: string };
    const where = `${this.settings.host}:${this.settings.port}`;
    const reply = e.response ? `: ${e.response}` : '';
    if (e.code === 'EAUTH') {
      return new MailTransportError(
        `the SMTP server ${where} refused the login${reply}: check mail.user and the secret mail.password refers to`,
        { recipient, retryable: false, cause: error },
      );
    }
    // requireTLS asked for STARTTLS and the server refused it: nothing of the login was sent.
    if (e.code === 'ETLS' && e.command === 'STARTTLS') {
      return new MailTransportError(
        `the SMTP server ${where} offers no TLS (STARTTLS refused${reply}), and the password is sent over TLS only: ` +
          'use a relay that speaks TLS (mail.secure: true for port 465), or mail.insecure: true for a relay on loopback',
        { recipient, retryable: false, cause: error },
      );
    }
    if (typeof e.responseCode === 'number') {
      const code = e.responseCode;
      const what =
        e.command === 'RCPT TO'
          ? 'refused the recipient'
          : e.command === 'MAIL FROM'
            ? 'refused the sender (mail.from)'
            : 'refused the message';
      if (code >= 400 && code < 500) {
        // 421 closes the channel, 454 is SES's "Throttling failure", 450/451 greylisting: all ask us to slow down.
        const throttled =
          code === 421 || code === 454 || /throttl|rate|too many|try again later|greylist/i.test(e.response ?? '');
        return new MailTransportError(`the SMTP server ${where} deferred the message${reply}`, {
          recipient,
          retryable: true,
          throttled,
          cause: error,
        });
      }
      return new MailTransportError(`the SMTP server ${where} ${what}${reply}`, {
        recipient,
        retryable: false,
        cause: error,
      });
    }
    const system = systemCode(e);
    if (e.code === 'ETIMEDOUT' || e.code === 'ECONNECTION' || (system && transientNetworkCodes.has(system))) {
      const hint = system === 'ECONNREFUSED' ? ': is the server running, and are mail.host and mail.port right?' : '';
      return new MailTransportError(
        `could not reach the SMTP server ${where} (${system ?? e.code}: ${e.message})${hint}`,
        { recipient, retryable: true, cause: error },
      );
    }
    if (e.code === 'ETLS' || /certificate|self.signed|altname/i.test(e.message)) {
      return new MailTransportError(
        `TLS with the SMTP server ${where} failed (${e.message}): check mail.secure (true for port 465) and the server's certificate`,
        { recipient, retryable: false, cause: error },
      );
    }
    if (e.code === 'EDNS') {
      return new MailTransportError(
        `the SMTP host ${this.settings.host} does not resolve (${e.message}): check mail.host`,
        { recipient, retryable: false, cause: error },
      );
    }
    return new MailTransportError(`sending through the SMTP server ${where} failed: ${e.message ?? String(error)}`, {
      recipient,
      retryable: false,
      cause: error,
    });
  }
}

/** nodemailer replaces a socket error's code with its own (ESOCKET); the errno still names it. */
function systemCode(error: NodeJS.ErrnoException): string | undefined {
  if (typeof error.errno === 'number' && error.errno < 0) {
    try {
      return getSystemErrorName(error.errno);
    } catch {
      return error.code;
    }
  }
  return error.code;
}
