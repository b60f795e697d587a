import { DateTime } from 'luxon';
import { AthenaEngine, type AthenaTimings } from '../adapters/aws/athenaEngine.ts';
import { S3Store } from '../adapters/aws/s3Store.ts';
import { S3TableManifests } from '../adapters/aws/tableManifests.ts';
import { SesTransport } from '../adapters/aws/ses.ts';
import { SecretsManagerSecrets } from '../adapters/aws/secretsManager.ts';
import { notThroughSes } from '../config/deployed.ts';
import { parseConfig } from '../config/load.ts';
import { PulseError } from '../errors.ts';
import { parsePeriod, periodAt } from '../kpis/period.ts';
import { getJson } from '../ports/objectStore.ts';
import { sourcesFor } from '../sources/registry.ts';
import { awsClients } from './awsClients.ts';
import { createStageContext, type StageContext } from '../stages/context.ts';
import { stageFacts, type StageName } from '../stages/list.ts';
import { stageParts } from '../stages/stageAccess.ts';

/** What a stage Lambda is invoked with: by the state machine, from the schedule's input. */
export interface StageEvent {
  /**
   * The period to report (`2026-10`, `2026-Q3`); default: the month before `scheduledTime`, in the
   * business zone. One that has not ended is refused at every stage: the Lambdas report no partial
   * periods (that is the CLI's --partial), and a run refused at extract does no work for nothing.
   */
  period?: string | null;
  /**
   * When the schedule fired (EventBridge Scheduler's <aws.scheduler.scheduled-time>): the
   * period is the month before it, whenever the run really starts (a retried or late run
   * reports the same month). Absent: the clock.
   */
  scheduledTime?: string | null;
  /** One id for every stage of an execution (the state machine passes its execution name). */
  runId?: string;
  resend?: boolean;
  /** Evaluate and render compute again even when nothing they read has changed (pulse run --force). */
  force?: boolean;
}

/** The Lambda's settings, from the environment the CDK stack gives it. */
export interface LambdaSettings {
  /** s3://bucket/prefix of the lake. */
  lake: string;
  /** Key of the config in the lake (the stack uploads it). */
  configKey: string;
  workGroup: string;
  database: string;
}

export function lambdaSettings(env: Record<string, string | undefined> = process.env): LambdaSettings {
  const read = (name: string) => {
    const value = env[name];
    if (!value)
      throw new PulseError(
        `the Lambda's environment has no ${name}: deploy it with the Pulse stack (infra/), which sets it`,
      );
    return value;
  };
  return {
    lake: read('PULSE_LAKE'),
    configKey: read('PULSE_CONFIG_KEY'),
    workGroup: read('PULSE_WORKGROUP'),
    database: read('PULSE_DATABASE'),
  };
}

/**
 * The Athena engine's poll intervals, when the environment names them: PULSE_ATHENA_POLL_FIRST_MS
 * (the first wait between GetQueryExecution polls) and PULSE_ATHENA_POLL_MAX_MS (the longest).
 * The stack sets neither, so a deployed Lambda polls as the engine does by default (from 250 ms,
 * sized for Athena's seconds); the rehearsal sets both, its stand-in answering in milliseconds.
 */
export function lambdaAthenaTimings(
  env: Record<string, string | undefined> = process.env,
): Partial<Pick<AthenaTimings, 'pollFirstMs' | 'pollMaxMs'>> {
  const read = (name: string) => {
    const value = env[name];
    if (value === undefined || value === '') return undefined;
    const ms = Number(value);
    if (!Number.isInteger(ms) || ms < 1)
      throw new PulseError(`the Lambda's environment has ${name}=${value}: a whole number of milliseconds, at least 1`);
    return ms;
  };
  const first = read('PULSE_ATHENA_POLL_FIRST_MS');
  const max = read('PULSE_ATHENA_POLL_MAX_MS');
  return { ...(first !== undefined ? { pollFirstMs: first } : {}), ...(max !== undefined ? { pollMaxMs: max } : {}) };
}

/** The month before `at` in the business zone: the monthly schedule reports the month just closed. */
export function defaultPeriod(at: Date, zone: string): string {
  if (Number.isNaN(at.getTime()))
    throw new PulseError("the event's scheduledTime is not a time: the schedule passes <aws.scheduler.scheduled-time>");
  return DateTime.fromJSDate(at, { zone }).minus({ months: 1 }).toFormat('yyyy-MM');
}

/**
 * The one wiring of a stage in AWS (the CLI's is cli/wiring.ts): the lake in S3, the engine
 * Athena, the mail SES, the config read from the lake, through the same context factory.
 *
 * Sources: in AWS, extract pulls the API sources (the CRM connectors); CSV exports live where
 * people save them, and are landed into the deployed lake from there with
 * `pulse run --stages extract` on an s3:// lake: the Lambda pulls none of them, and curates
 * what they landed.
 */
export async function lambdaContext(
  event: StageEvent,
  env: Record<string, string | undefined> = process.env,
  now = new Date(),
  deadline?: number,
  log: (message: string) => void = (message) => console.log(JSON.stringify({ level: 'INFO', message })),
  stage?: StageName,
): Promise<StageContext> {
  const settings = lambdaSettings(env);
  // The SDK clients are the module's, made once (awsClients.ts); the adapters around them per invocation.
  const store = new S3Store(settings.lake, { client: awsClients.s3() });
  const raw = await getJson<unknown>(store, settings.configKey);
  if (raw === undefined)
    throw new PulseError(
      `${store.locate(settings.configKey)}: no config there: the stack uploads pulse.config.json at deploy`,
    );
  const loaded = parseConfig(raw, `/${settings.configKey}`);
  const { config } = loaded;
  if (config.mail.transport !== 'ses') throw new PulseError(notThroughSes(config.mail.transport, settings.configKey));
  const athena = new AthenaEngine({
    workGroup: settings.workGroup,
    database: settings.database,
    lake: settings.lake,
    clearPrefix: (prefix) => store.deletePrefix(prefix),
    manifests: new S3TableManifests(settings.lake, { client: awsClients.s3() }),
    client: awsClients.athena(),
    timings: lambdaAthenaTimings(env),
  });
  // A stage's Lambda uses the lake and the engine as the stage list says (functions/stages/list.ts),
  // as its role is granted: a stage that does not query gets an engine that refuses.
  const { store: stageStore, engine } = stage
    ? stageParts({ store, engine: athena }, stageFacts(stage))
    : { store, engine: athena };
  const mail = new SesTransport({
    client: awsClients.ses(config.mail.region),
    ...(config.mail.configurationSet ? { configurationSet: config.mail.configurationSet } : {}),
  });
  return createStageContext({
    config,
    period: event.period
      ? periodAt(parsePeriod(event.period), now, config.timezone)
      : parsePeriod(defaultPeriod(event.scheduledTime ? new Date(event.scheduledTime) : now, config.timezone)),
    store: stageStore,
    engine,
    mail,
    // API sources pull here; CSV exports are landed from where they are saved (pulse run --stages extract).
    sources: sourcesFor(config, {
      baseDir: '/tmp',
      secrets: new SecretsManagerSecrets({ client: awsClients.secretsManager() }),
      csv: 'landed',
    }),
    now,
    ...(event.runId ? { runId: event.runId } : {}),
    ...(event.resend ? { resend: true } : {}),
    ...(event.force ? { force: true } : {}),
    ...(deadline !== undefined ? { deadline } : {}),
    log,
  });
}
