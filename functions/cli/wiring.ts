import type { AthenaTimings } from '../adapters/aws/athenaEngine.ts';
import { FolderStore } from '../adapters/local/folderStore.ts';
import { LockFile } from '../adapters/local/lockFile.ts';
import { DuckDbEngine } from '../adapters/local/duckdbEngine.ts';
import { EnvSecrets } from '../adapters/local/envSecrets.ts';
import { OutboxTransport } from '../adapters/local/outbox.ts';
import { SmtpTransport } from '../adapters/local/smtp.ts';
import { resolveLake, type LoadedConfig } from '../config/load.ts';
import type { CsvSourceConfig } from '../config/schema.ts';
import { UsageError } from '../errors.ts';
import type { PeriodInfo } from '../kpis/types.ts';
import { entityByName } from '../model/index.ts';
import type { LakeLock } from '../ports/lakeLock.ts';
import type { MailTransport } from '../ports/mail.ts';
import type { ObjectStore } from '../ports/objectStore.ts';
import type { QueryEngine } from '../ports/queryEngine.ts';
import type { Source } from '../ports/source.ts';
import { redact } from '../redaction.ts';
import { CsvSource } from '../sources/csv.ts';
import { sourcesFor } from '../sources/registry.ts';
import { createStageContext, type StageContext } from '../stages/context.ts';
import { displayPathsUnder } from './displayPath.ts';
import { progressFor } from './progress.ts';

/** A CSV source as a run reads it: the one construction the run and check-config share. */
export function csvSourceFor(loaded: LoadedConfig, source: CsvSourceConfig): CsvSource {
  return new CsvSource(source, entityByName(source.entity)!, loaded.baseDir, loaded.config.timezone);
}

/**
 * Only the CLI and the Lambda handlers wire adapters into stages; this is the CLI's wiring: the
 * one source registry, with secrets from the environment (env:NAME references).
 */
export function createSources(loaded: LoadedConfig): Source[] {
  return sourcesFor(loaded.config, { baseDir: loaded.baseDir, secrets: new EnvSecrets() });
}

/**
 * The mail transport the config names: the outbox in the lake, an SMTP relay, or SES. The AWS SDK
 * modules load only when the config asks for AWS, so a local run starts without them.
 */
export async function createMailTransport(loaded: LoadedConfig, store: ObjectStore): Promise<MailTransport> {
  const mail = loaded.config.mail;
  switch (mail.transport) {
    case 'outbox':
      return new OutboxTransport(store);
    case 'smtp':
      if (mail.user && !mail.password)
        throw new UsageError(
          `${loaded.file}: mail.password: required with mail.user (a reference such as env:SMTP_PASSWORD)`,
        );
      if (mail.password && !mail.user) throw new UsageError(`${loaded.file}: mail.user: required with mail.password`);
      // env: references from this machine's environment, Secrets Manager ARNs from AWS.
      if (mail.password?.startsWith('arn:')) {
        const { SecretsManagerSecrets } = await import('../adapters/aws/secretsManager.ts');
        return new SmtpTransport(mail, new SecretsManagerSecrets({ fallback: new EnvSecrets() }));
      }
      return new SmtpTransport(mail, new EnvSecrets());
    case 'ses': {
      const { SesTransport } = await import('../adapters/aws/ses.ts');
      // No region in the config: the SDK's default chain (AWS_REGION, the profile) decides.
      return new SesTransport({
        ...(mail.region ? { region: mail.region } : {}),
        ...(mail.configurationSet ? { configurationSet: mail.configurationSet } : {}),
      });
    }
  }
}

/**
 * The lake's lock (docs/design.md, "One run per lake"): a lock file in a folder lake, a lease
 * object in an S3 one. `log` hears of a lease lost to another run.
 */
export async function createLakeLock(loaded: LoadedConfig, log: (message: string) => void): Promise<LakeLock> {
  const lake = resolveLake(loaded);
  if (!lake.startsWith('s3://')) return new LockFile(lake);
  const { S3Lease } = await import('../adapters/aws/s3Lease.ts');
  return new S3Lease(lake, { onLost: log });
}

/**
 * What stopped runs left in a folder lake that no stage owns: the temporary files of puts killed
 * before their rename. Called by the run that holds the lake, before its stages; says what it
 * removed. An S3 lake has none (an object is written whole or not at all).
 */
export async function removeLeftovers(loaded: LoadedConfig, log: (message: string) => void): Promise<void> {
  const lake = resolveLake(loaded);
  if (lake.startsWith('s3://')) return;
  const removed = await new FolderStore(lake).removeTemporary();
  if (removed.length > 0)
    log(
      `lake: removed ${removed.length} temporary file(s) of writes a stopped run never finished: ${removed.join(', ')}`,
    );
}

export interface LocalContextOptions {
  /** DuckDB's worker threads (default: one per core); the results do not depend on it. */
  threads?: number;
  resend?: boolean;
  reextract?: boolean;
  force?: boolean;
  quiet?: boolean;
  now?: Date;
  /** The run's id, when the caller drew it first (the run that holds the lake names it in the lock). */
  runId?: string;
  /** How an s3:// lake's Athena engine polls; a stand-in on loopback answers in milliseconds. */
  athenaTimings?: Partial<AthenaTimings>;
}

export async function createLocalContext(
  loaded: LoadedConfig,
  period: PeriodInfo,
  options: LocalContextOptions = {},
): Promise<StageContext> {
  const lake = resolveLake(loaded);
  // A folder lake runs on embedded DuckDB; an s3:// lake is the deployed one, on S3 and Athena,
  // with the SDK's credential chain, region and AWS_ENDPOINT_URL_* variables (docs/design.md).
  let store: ObjectStore;
  let engine: QueryEngine;
  if (lake.startsWith('s3://')) {
    const [{ S3Store }, { AthenaEngine }, { S3TableManifests }] = await Promise.all([
      import('../adapters/aws/s3Store.ts'),
      import('../adapters/aws/athenaEngine.ts'),
      import('../adapters/aws/tableManifests.ts'),
    ]);
    const s3 = new S3Store(lake);
    const athena = loaded.config.athena;
    store = s3;
    engine = new AthenaEngine({
      workGroup: athena.workgroup,
      database: athena.database,
      lake,
      ...(athena.outputLocation ? { outputLocation: athena.outputLocation } : {}),
      ...(athena.region ? { region: athena.region } : {}),
      clearPrefix: (prefix) => s3.deletePrefix(prefix),
      manifests: new S3TableManifests(lake),
      ...(options.athenaTimings ? { timings: options.athenaTimings } : {}),
    });
  } else {
    store = new FolderStore(lake);
    engine = await DuckDbEngine.onLake(store, {
      ...(options.threads ? { threads: options.threads } : {}),
      ...(loaded.config.duckdb.memoryLimit ? { memoryLimit: loaded.config.duckdb.memoryLimit } : {}),
    });
  }
  const mail = await createMailTransport(loaded, store);
  return createStageContext({
    config: loaded.config,
    period,
    store,
    engine,
    mail,
    sources: createSources(loaded),
    ...(options.now ? { now: options.now } : {}),
    ...(options.runId ? { runId: options.runId } : {}),
    resend: options.resend ?? false,
    reextract: options.reextract ?? false,
    force: options.force ?? false,
    progress: progressFor(options.quiet ?? false),
    // Stages name lake places as the store locates them; the user reads them from where they stand.
    log: options.quiet ? () => {} : (message) => process.stderr.write(`${redact(displayPathsUnder(message, lake))}\n`),
  });
}
