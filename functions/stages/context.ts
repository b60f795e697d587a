import type { PulseConfig } from '../config/schema.ts';
import type { PeriodInfo } from '../kpis/types.ts';
import type { MailTransport } from '../ports/mail.ts';
import type { ObjectStore } from '../ports/objectStore.ts';
import type { QueryEngine } from '../ports/queryEngine.ts';
import type { Source } from '../ports/source.ts';

export interface Progress {
  start(label: string, total: number): void;
  update(done: number): void;
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
  progress: Progress;
  log: (message: string) => void;
}
