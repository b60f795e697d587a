import pRetry from 'p-retry';
import { MailSendError, MailTransportError } from '../errors.ts';
import type { MailTransport, OutgoingMail, SentMail } from '../ports/mail.ts';

/**
 * How a failed send is retried. Injectable so tests run in milliseconds: pass `sleep` and
 * `random` (or small times) instead of waiting for real.
 */
export interface RetryTimings {
  /** Retries after the first attempt. */
  retries: number;
  /** First backoff ceiling; it doubles per retry up to `capMs`. */
  baseMs: number;
  capMs: number;
  /** First backoff ceiling after a throttled failure: SES counts its sending rate per second. */
  throttledBaseMs: number;
  /** Budget for all attempts at one message: a Lambda has 15 minutes for the whole stage. */
  maxRetryTimeMs: number;
  random: () => number;
  sleep: (ms: number) => Promise<void>;
}

export const defaultRetryTimings: RetryTimings = {
  retries: 4,
  baseMs: 500,
  capMs: 30_000,
  throttledBaseMs: 2_000,
  maxRetryTimeMs: 120_000,
  random: Math.random,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Only a transport's typed error can say a retry helps; anything else (a bug, a bad secret) fails at once. */
export const isRetryable = (error: unknown) => error instanceof MailTransportError && error.retryable;

/**
 * The wait before retry number `retry` (0 for the first): capped exponential backoff with full
 * jitter, uniform in [0, min(cap, base·2^retry)) (AWS Architecture Blog, "Exponential Backoff
 * And Jitter"), so many senders throttled together do not come back together. A throttled
 * failure starts from a longer base and waits at least half the ceiling (a sender that returns
 * at once is throttled again); a wait the service asked for is honoured, up to the cap.
 */
export function backoffMs(retry: number, error: unknown, timings: RetryTimings): number {
  const throttled = error instanceof MailTransportError && error.throttled;
  const ceiling = Math.min(timings.capMs, (throttled ? timings.throttledBaseMs : timings.baseMs) * 2 ** retry);
  const jittered = throttled ? ceiling / 2 + (timings.random() * ceiling) / 2 : timings.random() * ceiling;
  const askedFor = error instanceof MailTransportError ? error.retryAfterMs : undefined;
  return Math.round(askedFor === undefined ? jittered : Math.max(jittered, Math.min(askedFor, timings.capMs)));
}

export interface SendWithRetryOptions {
  timings?: Partial<RetryTimings>;
  log?: (message: string) => void;
}

/**
 * Sends one message, retrying what a retry can help. Resolves with the send and how many
 * attempts it took; rejects with MailSendError naming the recipient, keeping the last failure.
 */
export async function sendWithRetry(
  mail: MailTransport,
  message: OutgoingMail,
  options: SendWithRetryOptions = {},
): Promise<SentMail & { attempts: number }> {
  const timings = { ...defaultRetryTimings, ...options.timings };
  const started = performance.now();
  let attempts = 0;
  try {
    const sent = await pRetry(
      async () => {
        attempts += 1;
        return mail.send(message);
      },
      {
        retries: timings.retries,
        // p-retry counts the attempts and stops; the waits are ours (full jitter, throttling).
        minTimeout: 0,
        maxTimeout: 0,
        maxRetryTime: timings.maxRetryTimeMs,
        shouldRetry: async ({ error, retriesConsumed }) => {
          if (!isRetryable(error)) return false;
          const left = timings.maxRetryTimeMs - (performance.now() - started);
          const wait = Math.min(backoffMs(retriesConsumed, error, timings), Math.max(0, left));
          options.log?.(
            `mail to ${message.to}: attempt ${retriesConsumed + 1} failed (${error.message}); retrying in ${wait} ms`,
          );
          await timings.sleep(wait);
          return true;
        },
      },
    );
    return { ...sent, attempts };
  } catch (error) {
    throw new MailSendError(message.to, attempts, { cause: error });
  }
}
