/** One base class; each subclass names what went wrong and keeps its cause. */
export class PulseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
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
  constructor(stage: string, options: { cause: unknown }) {
    super(`stage ${stage} failed: ${(options.cause as Error)?.message ?? String(options.cause)}`, options);
    this.stage = stage;
  }
}
