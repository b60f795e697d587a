import { newRunId } from '../runtime/runId.ts';
import type { PulseConfig } from '../config/schema.ts';
import type { PeriodInfo } from '../kpis/types.ts';
import type { MailTransport } from '../ports/mail.ts';
import type { ObjectStore } from '../ports/objectStore.ts';
import type { QueryEngine } from '../ports/queryEngine.ts';
import type { Source } from '../ports/source.ts';

/** What a progress bar counts: steps of a stage (the default), rows, or bytes (shown as KB, MB). */
export type ProgressUnit = 'steps' | 'rows' | 'bytes';

export interface Progress {
  /** `total` 0: not known ahead, the bar shows what is done so far. */
  start(label: string, total: number, unit?: ProgressUnit): void;
  /** `detail`: what else the line shows (an API pull's requests, rate and time waited). */
  update(done: number, detail?: string): void;
  stop(): void;
}

export const silentProgress: Progress = { start() {}, update() {}, stop() {} };

/** Everything a stage may touch, passed in: the CLI wires local adapters, a Lambda the AWS ones. */
export interface StageContext {
  config: PulseConfig;
  period: PeriodInfo;
  store: ObjectStore;
  engine: QueryEngine;
  mail: MailTransport;
  sources: Source[];
  runId: string;
  now: Date;
  resend: boolean;
  /** pulse run --reextract: every source reads all its files again. */
  reextract?: boolean;
  /**
   * pulse run --force: evaluate and render compute their outputs even when their inputs have not
   * changed since they were written (functions/stages/inputsFingerprint.ts).
   */
  force?: boolean;
  /**
   * When a stage that can stop part-way should stop starting new work (epoch ms): a Lambda's
   * end, less a margin. Extract stops at the next saved watermark and says it is not drained;
   * curate and marts stop at the engine's next statement (OutOfTimeError), their progress saved.
   */
  deadline?: number;
  progress: Progress;
  log: (message: string) => void;
}

/** What a caller must give (the adapters, the config, the period) and what it may (the rest has defaults). */
export type ContextParts = Pick<StageContext, 'config' | 'period' | 'store' | 'engine' | 'mail' | 'sources'> &
  Partial<Pick<StageContext, 'now' | 'runId' | 'resend' | 'reextract' | 'force' | 'deadline' | 'progress' | 'log'>>;

/**
 * The one context factory: the CLI (local adapters) and the Lambda handlers (AWS adapters) pass
 * their adapters, and everything else (run id, clock, flags) is decided here alike.
 */
export function createStageContext(parts: ContextParts): StageContext {
  const now = parts.now ?? new Date();
  return {
    config: parts.config,
    period: parts.period,
    store: parts.store,
    engine: parts.engine,
    mail: parts.mail,
    sources: parts.sources,
    runId: parts.runId ?? newRunId(now),
    now,
    resend: parts.resend ?? false,
    reextract: parts.reextract ?? false,
    force: parts.force ?? false,
    ...(parts.deadline !== undefined ? { deadline: parts.deadline } : {}),
    progress: parts.progress ?? silentProgress,
    log: parts.log ?? (() => {}),
  };
}
