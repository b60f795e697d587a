export interface PulseErrorOptions {
  cause?: unknown;
  /** The owners were told about this failure (or telling them was tried): runStages does not alert them again. */
  ownersAlerted?: boolean;
}

/** One base class; each subclass names what went wrong and keeps its cause. */
export class PulseError extends Error {
  readonly ownersAlerted?: boolean;
  constructor(message: string, options?: PulseErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    if (options?.ownersAlerted !== undefined) this.ownersAlerted = options.ownersAlerted;
  }
}

/** The configuration is invalid: every problem, each naming the file and key. */
export class ConfigError extends PulseError {
  readonly problems: string[];
  constructor(problems: string[], options?: { cause?: unknown }) {
    super(problems.join('\n'), options);
    this.problems = problems;
  }
}

/** Bad usage of the CLI (unknown period format, unknown stage). */
export class UsageError extends PulseError {}

/** A source file cannot be read at all (missing, empty, a mapped column absent). */
export class SourceError extends PulseError {}

/** A stage failed; names the stage so the operator knows where to look. */
export class StageError extends PulseError {
  readonly stage: string;
  constructor(stage: string, options: { cause: unknown; ownersAlerted?: boolean }) {
    super(`stage ${stage} failed: ${(options.cause as Error)?.message ?? String(options.cause)}`, options);
    this.stage = stage;
  }
}

/** A secret reference cannot be resolved. The message names the reference, never the value. */
export class SecretError extends PulseError {
  readonly ref: string;
  constructor(ref: string, message: string, options?: PulseErrorOptions) {
    super(`${ref}: ${message}`, options);
    this.ref = ref;
  }
}

/**
 * One attempt to hand a message to the mail service failed. `retryable` says whether trying
 * again can help (a 4xx reply, a dropped connection); `throttled` asks for a longer wait (SES
 * throttling, an SMTP 421/454); `retryAfterMs` is the wait the service asked for, when it said.
 */
export class MailTransportError extends PulseError {
  readonly recipient: string;
  readonly retryable: boolean;
  readonly throttled: boolean;
  readonly retryAfterMs?: number;
  constructor(message: string, options: PulseErrorOptions & { recipient: string; retryable: boolean; throttled?: boolean; retryAfterMs?: number }) {
    super(message, options);
    this.recipient = options.recipient;
    this.retryable = options.retryable;
    this.throttled = options.throttled ?? false;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/** Sending one message failed for good: retries used up, or a failure no retry can help. */
export class MailSendError extends PulseError {
  readonly recipient: string;
  readonly attempts: number;
  constructor(recipient: string, attempts: number, options: { cause: unknown }) {
    const reason = (options.cause as Error)?.message ?? String(options.cause);
    const retried = options.cause instanceof MailTransportError && !options.cause.retryable ? 'not retried: a retry cannot help' : `${attempts} attempt${attempts === 1 ? '' : 's'}`;
    super(`${recipient}: ${reason} (${retried})`, options);
    this.recipient = recipient;
    this.attempts = attempts;
  }
}

export interface FailedDelivery {
  audience: string;
  recipient: string;
  error: MailSendError;
}

/** deliver could not send to some recipients; the others were sent and are in the ledger. */
export class DeliveryError extends PulseError {
  readonly failures: FailedDelivery[];
  constructor(failures: FailedDelivery[], options?: { ownersAlerted?: boolean }) {
    const lines = failures.map((f) => `${f.audience} → ${f.error.message}`);
    super(
      `could not send to ${failures.length} recipient${failures.length === 1 ? '' : 's'}: ${lines.join('; ')}. ` +
        'Recipients already sent are in the ledger: fix the cause and run deliver again to send only the rest.',
      { cause: failures.length === 1 ? failures[0]!.error : new AggregateError(failures.map((f) => f.error), 'several recipients failed'), ...options },
    );
    this.failures = failures;
  }
}
