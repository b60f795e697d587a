import { randomBytes } from 'node:crypto';
import cliProgress from 'cli-progress';
import { FolderStore } from '../adapters/local/folderStore.ts';
import { DuckDbEngine } from '../adapters/local/duckdbEngine.ts';
import { OutboxTransport } from '../adapters/local/outbox.ts';
import { resolveLake, type LoadedConfig } from '../config/load.ts';
import { UsageError } from '../errors.ts';
import type { PeriodInfo } from '../kpis/types.ts';
import { entityByName } from '../model/index.ts';
import type { MailTransport } from '../ports/mail.ts';
import type { Source } from '../ports/source.ts';
import { CsvSource } from '../sources/csv.ts';
import { silentProgress, type Progress, type StageContext } from '../stages/context.ts';

/** Only the CLI and the Lambda handlers wire adapters into stages; this is the CLI's wiring. */
export function createSources(loaded: LoadedConfig): Source[] {
  return loaded.config.sources.map((source, i) => {
    if (source.type !== 'csv') {
      throw new UsageError(`${loaded.file}: sources[${i}].type: the ${source.type} connector is not part of this build yet; export to CSV and use type "csv"`);
    }
    return new CsvSource(source, entityByName(source.entity)!, loaded.baseDir, loaded.config.timezone);
  });
}

export function terminalProgress(): Progress {
  if (!process.stderr.isTTY) return silentProgress;
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(label, total) {
      bar = new cliProgress.SingleBar(
        { format: `${label.padEnd(24)} {bar} {value}${total ? '/{total}' : ' rows'}`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total || 0, 0);
    },
    update(done) {
      bar?.update(done);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

export function newRunId(now: Date): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

export interface LocalContextOptions {
  resend?: boolean;
  quiet?: boolean;
  now?: Date;
}

export async function createLocalContext(loaded: LoadedConfig, period: PeriodInfo, options: LocalContextOptions = {}): Promise<StageContext> {
  const lake = resolveLake(loaded);
  if (lake.startsWith('s3://')) {
    throw new UsageError(`${loaded.file}: lake: an s3:// lake runs in AWS (the CDK stack); locally use a folder`);
  }
  const store = new FolderStore(lake);
  let mail: MailTransport;
  if (loaded.config.mail.transport === 'outbox') mail = new OutboxTransport(store);
  else throw new UsageError(`${loaded.file}: mail.transport: "${loaded.config.mail.transport}" is not part of this build yet; use "outbox"`);
  const now = options.now ?? new Date();
  return {
    config: loaded.config,
    period,
    store,
    engine: await DuckDbEngine.open(store),
    mail,
    sources: createSources(loaded),
    runId: newRunId(now),
    now,
    resend: options.resend ?? false,
    progress: options.quiet ? silentProgress : terminalProgress(),
    log: options.quiet ? () => {} : (message) => process.stderr.write(`${message}\n`),
  };
}
