export interface PulseErrorOptions {
  cause?: unknown;
  /** The owners were told about this failure (or telling them was tried): runStages does not alert them again. */
  ownersAlerted?: boolean;
  /** Whether running again, unchanged, can succeed (a throttled or unreachable service); default false. */
  retryable?: boolean;
}

/**
 * One base class; each subclass names what went wrong and keeps its cause, and says whether a
 * retry can help: a scheduler retries a stage only when it can (a throttled service), never a bad
 * config or a bad export, which fail the same way every time.
 */
/**
 * The error name a stage Lambda gives a failure a retry can help (`retryable`); the state machine
 * (infra/pipeline.ts) retries that name and no other.
 */
export const retryableErrorName = 'PulseRetryable';

export class PulseError extends Error {
  readonly ownersAlerted?: boolean;
  readonly retryable: boolean;
  constructor(message: string, options?: PulseErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    if (options?.ownersAlerted !== undefined) this.ownersAlerted = options.ownersAlerted;
    this.retryable = options?.retryable ?? false;
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
    // A stage can be retried when what failed it can be: its cause says so.
    const retryable = options.cause instanceof PulseError && options.cause.retryable;
    super(`stage ${stage} failed: ${(options.cause as Error)?.message ?? String(options.cause)}`, {
      ...options,
      retryable,
    });
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
  readonly throttled: boolean;
  readonly retryAfterMs?: number;
  constructor(
    message: string,
    options: PulseErrorOptions & { recipient: string; retryable: boolean; throttled?: boolean; retryAfterMs?: number },
  ) {
    super(message, options);
    this.recipient = options.recipient;
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
    const retried =
      options.cause instanceof MailTransportError && !options.cause.retryable
        ? 'not retried: a retry cannot help'
        : `${attempts} attempt${attempts === 1 ? '' : 's'}`;
    // Retries used up on a passing fault (a throttled or unreachable server) may pass later.
    super(`${recipient}: ${reason} (${retried})`, {
      ...options,
      retryable: options.cause instanceof PulseError && options.cause.retryable,
    });
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
      {
        cause:
          failures.length === 1
            ? failures[0]!.error
            : new AggregateError(
                failures.map((f) => f.error),
                'several recipients failed',
              ),
        retryable: failures.every((f) => f.error.retryable),
        ...options,
      },
    );
    this.failures = failures;
  }
}

/**
 * An Athena query did not succeed: it FAILED, was CANCELLED, or outlived its poll budget. Names
 * the query execution id, so the operator can open it in the Athena console (Recent queries).
 * `retryable` follows Athena: its AthenaError.Retryable, or throttling; never a user error.
 */
export class QueryError extends PulseError {
  readonly queryExecutionId?: string;
  readonly state?: string;
  readonly errorCategory?: number;
  readonly errorType?: number;
  constructor(
    message: string,
    options: PulseErrorOptions & {
      queryExecutionId?: string;
      state?: string;
      errorCategory?: number;
      errorType?: number;
    } = {},
  ) {
    super(message, options);
    if (options.queryExecutionId !== undefined) this.queryExecutionId = options.queryExecutionId;
    if (options.state !== undefined) this.state = options.state;
    if (options.errorCategory !== undefined) this.errorCategory = options.errorCategory;
    if (options.errorType !== undefined) this.errorType = options.errorType;
  }
}

/** An Athena query still ran when its poll budget was spent; it was stopped (StopQueryExecution). */
export class QueryTimeoutError extends QueryError {}

/**
 * A call to the object store (the lake) failed. Names the bucket and the key, never a credential;
 * `retryable` when S3 throttled (SlowDown), failed on its side (5xx) or could not be reached.
 */
export class ObjectStoreError extends PulseError {
  readonly bucket: string;
  readonly key: string;
  constructor(message: string, options: PulseErrorOptions & { bucket: string; key: string }) {
    super(message, options);
    this.bucket = options.bucket;
    this.key = options.key;
  }
}

/** One key DeleteObjects could not delete, as S3 reported it in the response's Errors. */
export interface ObjectDeleteFailure {
  key: string;
  code: string;
  message: string;
}

/** DeleteObjects answered 200 but could not delete some keys; the keys before them are gone. */
export class ObjectDeleteError extends ObjectStoreError {
  readonly failures: ObjectDeleteFailure[];
  constructor(
    message: string,
    options: PulseErrorOptions & { bucket: string; key: string; failures: ObjectDeleteFailure[] },
  ) {
    super(message, options);
    this.failures = options.failures;
  }
}

/** A report was not sent: a blank period, or stale data with definitions.withholdStale. The owners were told. */
export class ReportWithheldError extends PulseError {}

/**
 * A stage reached its deadline (the Lambda's end, less a margin) and stopped, its progress saved:
 * not a failure. The stage Lambda says it is not drained and the state machine invokes it again,
 * which resumes where this one stopped (docs/design.md, "The cloud path"). No owner is alerted.
 */
export class OutOfTimeError extends PulseError {}
