import { SESClient, SendRawEmailCommand } from '@aws-sdk/client-ses';
import { MailTransportError } from '../../errors.ts';
import type { MailTransport, OutgoingMail, SentMail } from '../../ports/mail.ts';
import { sdkFacts } from './sdkErrors.ts';

/**
 * SendRawEmail (SES API v1) takes at most 10 MB per message, attachments included, measured
 * after base64 encoding (SES Developer Guide, "Service quotas in Amazon SES", message quotas):
 * the raw MIME message is base64-encoded once more in the request, and that length counts.
 */
export const sesRawMessageLimitBytes = 10 * 1024 * 1024;

/** Base64 of n bytes: 4 characters for every 3 bytes begun. */
export const base64Length = (bytes: number) => 4 * Math.ceil(bytes / 3);

/** What to check for each error SendRawEmail documents (SES API reference, SendRawEmail, Errors); none is helped by a retry. */
const permanent: Record<string, string> = {
  MessageRejected:
    'SES rejected the message: check that mail.from is a verified identity and, while the account is in the SES sandbox, that the recipient is verified too',
  MailFromDomainNotVerifiedException:
    "SES could not read the MX record of the custom MAIL FROM domain: check the identity's MAIL FROM settings",
  ConfigurationSetDoesNotExistException:
    'the SES configuration set does not exist: check mail.configurationSet and the region',
  ConfigurationSetSendingPausedException:
    'sending is paused for the SES configuration set mail.configurationSet: resume it (UpdateConfigurationSetSendingEnabled)',
  AccountSendingPausedException:
    'sending is paused for the whole SES account: see the SES console (reputation dashboard) before resuming',
};

export interface SesOptions {
  region?: string;
  configurationSet?: string;
  /** For tests and for sharing one client; by default one client per transport. */
  client?: SESClient;
}

/**
 * An SES client as the transport uses it. maxAttempts 1: retrying is one module
 * (stages/sendWithRetry.ts) with throttling-aware waits; the SDK's own three attempts inside each
 * of ours would multiply them.
 */
export function createSesClient(region?: string): SESClient {
  return new SESClient({ ...(region ? { region } : {}), maxAttempts: 1 });
}

/** Mail through Amazon SES, SendRawEmail with the raw MIME render built, one recipient per call. */
export class SesTransport implements MailTransport {
  private readonly client: SESClient;

  constructor(private readonly options: SesOptions = {}) {
    this.client = options.client ?? createSesClient(options.region);
  }

  async send(mail: OutgoingMail): Promise<SentMail> {
    const encoded = base64Length(mail.raw.length);
    if (encoded > sesRawMessageLimitBytes) {
      const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
      throw new MailTransportError(
        `the message is ${mb(encoded)} MB in base64 and SES SendRawEmail takes at most ${mb(sesRawMessageLimitBytes)} MB: attach less (or link to the workbook) for audience ${mail.audience}`,
        { recipient: mail.to, retryable: false },
      );
    }
    try {
      const sent = await this.client.send(
        new SendRawEmailCommand({
          Source: mail.from,
          Destinations: [mail.to],
          RawMessage: { Data: mail.raw },
          ...(this.options.configurationSet ? { ConfigurationSetName: this.options.configurationSet } : {}),
        }),
      );
      return { messageId: sent.MessageId ?? '' };
    } catch (error) {
      throw typed(error, mail.to);
    }
  }
}

function typed(error: unknown, recipient: string): MailTransportError {
  const { name, message, said, throttled, serverFault, unreachable, noCredentials } = sdkFacts(error);
  const hint = permanent[name];
  if (hint) return new MailTransportError(`${hint} (${said})`, { recipient, retryable: false, cause: error });
  if (throttled) {
    // "Daily message quota exceeded" is throttling too, but the quota is over 24 hours: no wait of ours helps.
    if (/daily message quota/i.test(message)) {
      return new MailTransportError(
        `the SES daily sending quota is used up (${said}): request a higher quota or send tomorrow`,
        { recipient, retryable: false, cause: error },
      );
    }
    return new MailTransportError(`SES is throttling (${said})`, {
      recipient,
      retryable: true,
      throttled: true,
      cause: error,
    });
  }
  if (serverFault) {
    // An SES 5xx is treated as throttling: the service is overloaded, so the longer waits apply.
    return new MailTransportError(`SES failed on its side (${said})`, {
      recipient,
      retryable: true,
      throttled: true,
      cause: error,
    });
  }
  if (unreachable) {
    return new MailTransportError(`could not reach SES (${said})`, { recipient, retryable: true, cause: error });
  }
  if (noCredentials) {
    return new MailTransportError(
      `no AWS credentials for SES (${said}): set a profile or the AWS_* variables, or run in AWS`,
      { recipient, retryable: false, cause: error },
    );
  }
  return new MailTransportError(`SES refused the send (${said})`, { recipient, retryable: false, cause: error });
}
