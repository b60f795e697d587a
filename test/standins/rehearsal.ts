import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { S3Store } from '../../functions/adapters/aws/s3Store.ts';
import { demoConfig } from '../../functions/cli/demo.ts';
import { defaultPeriod } from '../../functions/handlers/lambdaContext.ts';
import { main } from '../../functions/cli/main.ts';
import { configSchema } from '../../functions/config/schema.ts';
import { lakeKeys } from '../../functions/model/lakeKeys.ts';
import { getJson, putJson } from '../../functions/ports/objectStore.ts';
import { generateSampleCompany } from '../../functions/sample/demoCompany.ts';
import { buildStageBundle, projectRoot } from '../../infra/lambdaBundle.ts';
import { configKey } from '../../infra/pipeline.ts';
import { startS3rver, stopS3rver } from '../support/s3rver.ts';
import { startAthenaLocal, type AthenaLocal, type LoggedStatement } from './athena/server.ts';
import { addresses, startSesLocal, type SesMessage } from './ses.ts';
import { synthesizePipeline, type SynthesizedFunction } from './stepFunctions/definition.ts';
import { startExecution, type ExecutionResult } from './stepFunctions/interpreter.ts';

/**
 * The rehearsal (`npm run rehearse`): the cloud path run on this machine. The state machine the
 * stack synthesizes is validated and executed by the ASL interpreter; each Task runs that
 * stage's Lambda bundle, built as deployed (infra/lambdaBundle.ts), in this process, with the
 * environment the stack gives it and a context whose remaining time counts down from the
 * function's timeout. Behind them: s3rver for S3, the Athena stand-in for Athena and Glue, the
 * SES stand-in for SES, on the demo company (functions/sample/). The CSV exports are landed
 * first with `pulse run --stages extract` on the s3:// lake, as a deployed Pulse lands them
 * (the extract Lambda reads API sources only: functions/handlers/lambdaContext.ts).
 */

export interface RehearsalOptions {
  /** Where the exports, the S3 data, the messages and the statement log go; default .tmp/rehearsal. */
  outDir?: string;
  months?: number;
  ticketsPerMonth?: number;
  seed?: number;
  timezone?: string;
  /** The month reported; default the last full month in the business zone. */
  period?: string;
  log?: (line: string) => void;
}

export interface RehearsalResult {
  period: string;
  execution: ExecutionResult;
  /** Wall seconds of each step: generate, synth, bundle, land, each stage (all its invocations), total. */
  seconds: Record<string, number>;
  /** Every statement the Athena stand-in received, in order. */
  statements: LoggedStatement[];
  messages: SesMessage[];
  /** The folder the messages are written to, one .eml each. */
  messagesDir: string;
  /** What the state machine published to SNS (the owners' alert of a failed stage). */
  alerts: unknown[];
  /** reports/<period>/kpis.json in the S3 lake, as evaluate wrote it. */
  kpis: unknown;
  /** The demo's exports and the config they were landed with (lake s3://pulse-lake/). */
  exportsDir: string;
  config: ReturnType<typeof demoConfig>;
}

const lakeBucket = 'pulse-lake';
const resultsBucket = 'pulse-athena-results';
/** s3rver's fixed key pair (its README); the other stand-ins take any. */
const credentials = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

export async function rehearse(options: RehearsalOptions = {}): Promise<RehearsalResult> {
  const log = options.log ?? (() => {});
  const timezone = options.timezone ?? 'Europe/Berlin';
  const period = options.period ?? defaultPeriod(new Date(), timezone);
  const outDir = path.resolve(options.outDir ?? path.join(projectRoot, '.tmp/rehearsal'));
  const seconds: Record<string, number> = {};
  const started = Date.now();
  const timed = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await work();
    } finally {
      seconds[step] = (seconds[step] ?? 0) + (Date.now() - t0) / 1000;
    }
  };
  rmSync(outDir, { recursive: true, force: true });
  const dirs = {
    exports: path.join(outDir, 'exports'),
    s3: path.join(outDir, 's3'),
    messages: path.join(outDir, 'messages'),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });

  log(`Generating the demo company to ${period}…`);
  await timed('generate', () =>
    generateSampleCompany({
      outDir: dirs.exports,
      months: options.months ?? 13,
      ticketsPerMonth: options.ticketsPerMonth ?? 3000,
      seed: options.seed ?? 42,
      endMonth: period,
      timezone,
    }),
  );
  // The demo's config, deployed: an s3:// lake and SES, the sender a verified identity.
  const config = {
    ...demoConfig(timezone),
    lake: `s3://${lakeBucket}/`,
    mail: { transport: 'ses', from: 'Pulse <pulse@example.com>' },
  };
  const configFile = path.join(outDir, 'pulse.config.json');
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);

  const env = new EnvironmentScope();
  const s3 = await startS3rver(dirs.s3);
  let athena: AthenaLocal | undefined;
  const ses = await startSesLocal({ identities: addresses(config.mail.from) });
  try {
    const s3Endpoint = `http://127.0.0.1:${s3.port}`;
    env.set({ ...credentials, AWS_ENDPOINT_URL_S3: s3Endpoint });
    athena = await startAthenaLocal({
      s3Endpoint,
      results: `s3://${resultsBucket}/`,
      statementsFile: path.join(outDir, 'statements.ndjson'),
    });
    env.set({ AWS_ENDPOINT_URL_ATHENA: athena.url, AWS_ENDPOINT_URL_GLUE: athena.url, AWS_ENDPOINT_URL_SES: ses.url });

    // What the stack's BucketDeployment uploads: the config, into the lake.
    await putJson(new S3Store(`s3://${lakeBucket}/`), configKey, configSchema.parse(config));
    log('Landing the exports in the S3 lake (pulse run --stages extract)…');
    const out: string[] = [];
    const landed = await timed('land', () =>
      main(['run', '--config', configFile, '--period', period, '--stages', 'extract', '--json'], {
        out: (s) => void out.push(s),
      }),
    );
    if (landed !== 0)
      throw new Error(`pulse run --stages extract on the S3 lake exited with ${landed}: ${out.join('')}`);

    log('Synthesizing the stack and bundling each Lambda as deployed…');
    const { definition, functions } = await timed('synth', async () =>
      synthesizePipeline(configSchema.parse(config), { lakeBucket, resultsBucket }),
    );
    const bundles = path.join(projectRoot, '.tmp/rehearsal-bundles');
    await timed('bundle', () =>
      Promise.all(functions.map((fn) => buildStageBundle(fn.stage, path.join(bundles, fn.stage)))),
    );

    const lambdas = new LocalLambdas(functions, bundles, env);
    const alerts: unknown[] = [];
    log('Executing the state machine…');
    const execution = await startExecution(
      definition,
      { period, scheduledTime: null },
      {
        // Named by its period, as the monthly starter names a run (docs/design.md).
        name: period,
        invokeLambda: (arn, payload) => {
          const fn = lambdas.byArn(arn);
          return timed(fn.stage, () => lambdas.invoke(fn, payload));
        },
        services: {
          'sns:publish': async (parameters) => {
            alerts.push(parameters);
            return { MessageId: `alert-${alerts.length}` };
          },
        },
      },
    );
    const kpis = await getJson<unknown>(new S3Store(`s3://${lakeBucket}/`), lakeKeys.report(period));
    for (const [i, message] of ses.messages.entries()) {
      const name = `${String(i + 1).padStart(2, '0')}-${message.destinations.join('+')}.eml`;
      writeFileSync(path.join(dirs.messages, name), message.raw);
    }
    seconds.total = (Date.now() - started) / 1000;
    return {
      period,
      execution,
      seconds,
      statements: [...athena.statements],
      messages: [...ses.messages],
      messagesDir: dirs.messages,
      alerts,
      kpis,
      exportsDir: dirs.exports,
      config,
    };
  } finally {
    await athena?.close();
    await ses.close();
    await stopS3rver(s3.process);
    env.restore();
  }
}

/** Sets process environment variables and puts every one back as it was. */
class EnvironmentScope {
  private readonly saved = new Map<string, string | undefined>();

  set(values: Record<string, string>): void {
    for (const [name, value] of Object.entries(values)) {
      if (!this.saved.has(name)) this.saved.set(name, process.env[name]);
      process.env[name] = value;
    }
  }

  restore(): void {
    for (const [name, value] of this.saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    this.saved.clear();
  }
}

type Handler = (event: unknown, context: LambdaContext) => Promise<unknown>;

/** The parts of the Lambda context object (Node.js runtime) a handler may read. */
export interface LambdaContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

/**
 * The stage Lambdas, in this process: each bundle imported once (its cold start, under the
 * function's environment), then invoked with a context counting down from its timeout. A
 * handler still running at the timeout fails the invocation as Lambda does (Sandbox.Timedout);
 * unlike Lambda, its work is not frozen, so the rehearsal waits for it to settle first.
 */
class LocalLambdas {
  private readonly handlers = new Map<string, Handler>();

  constructor(
    private readonly functions: SynthesizedFunction[],
    private readonly bundles: string,
    private readonly env: EnvironmentScope,
  ) {}

  byArn(arn: string): SynthesizedFunction {
    const fn = this.functions.find((f) => f.arn === arn);
    if (!fn) throw new Error(`no synthesized Lambda has the ARN ${arn}`);
    return fn;
  }

  async invoke(fn: SynthesizedFunction, event: unknown): Promise<unknown> {
    // NODE_OPTIONS is for the runtime's Node (source maps); this process already runs.
    const environment = Object.fromEntries(Object.entries(fn.environment).filter(([name]) => name !== 'NODE_OPTIONS'));
    this.env.set({
      ...environment,
      AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_FUNCTION_TIMEOUT: String(fn.timeoutSeconds),
      POWERTOOLS_LOG_LEVEL: process.env.PULSE_REHEARSAL_LOG_LEVEL ?? 'ERROR',
      POWERTOOLS_METRICS_DISABLED: 'true',
      // The stand-in answers in milliseconds: the engine's polls start at 10 ms, not at the 250 ms sized for
      // Athena's seconds (lambdaAthenaTimings). With the default doubling a 1.8 s statement was seen done at 3.75 s.
      PULSE_ATHENA_POLL_FIRST_MS: '10',
      PULSE_ATHENA_POLL_MAX_MS: '100',
    });
    let handler = this.handlers.get(fn.stage);
    if (!handler) {
      const url = pathToFileURL(path.join(this.bundles, fn.stage, 'index.mjs')).href;
      handler = ((await import(url)) as { handler: Handler }).handler;
      this.handlers.set(fn.stage, handler);
    }
    const deadline = Date.now() + fn.timeoutSeconds * 1000;
    const context: LambdaContext = {
      functionName: fn.logicalId,
      functionVersion: '$LATEST',
      invokedFunctionArn: fn.arn,
      memoryLimitInMB: String(fn.memoryMb),
      awsRequestId: randomUUID(),
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    const running = handler(structuredClone(event), context);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), fn.timeoutSeconds * 1000);
    });
    try {
      const first = await Promise.race([running, timedOut]);
      if (first !== 'timeout') return structuredClone(first);
      await running.catch(() => {});
      const error = new Error(`Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`);
      error.name = 'Sandbox.Timedout';
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** `npm run rehearse [-- --out DIR --months N --tickets-per-month N --period YYYY-MM]` */
async function cli(): Promise<number> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      months: { type: 'string' },
      'tickets-per-month': { type: 'string' },
      period: { type: 'string' },
      timezone: { type: 'string' },
    },
  });
  const number = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const result = await rehearse({
    ...(values.out ? { outDir: values.out } : {}),
    ...(values.months ? { months: number(values.months)! } : {}),
    ...(values['tickets-per-month'] ? { ticketsPerMonth: number(values['tickets-per-month'])! } : {}),
    ...(values.period ? { period: values.period } : {}),
    ...(values.timezone ? { timezone: values.timezone } : {}),
    log: (line) => console.log(line),
  });
  const { execution } = result;
  const retries = execution.retries.map((r) => `${r.state} ${r.error}`).join(', ');
  const messagesDir = path.relative(process.cwd(), result.messagesDir) || '.';
  const failed = result.statements.filter((s) => s.state !== 'SUCCEEDED').length;
  console.log(
    [
      '',
      `Execution:   ${execution.status}${execution.error ? ` (${execution.error}: ${execution.cause})` : ''}`,
      `State path:  ${execution.path.join(' → ')}`,
      `Retries:     ${retries || 'none'}`,
      `Timings:     ${Object.entries(result.seconds)
        .map(([step, s]) => `${step} ${s.toFixed(1)} s`)
        .join(', ')}`,
      `Statements:  ${result.statements.length} sent to the Athena stand-in (${failed} not SUCCEEDED)`,
      `Messages:    ${result.messages.length} accepted by the SES stand-in, in ${messagesDir}`,
      ...(result.alerts.length > 0
        ? [`Alerts:      ${result.alerts.map((a) => (a as { Message: string }).Message).join('\n             ')}`]
        : []),
      '',
    ].join('\n'),
  );
  return execution.status === 'SUCCEEDED' ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  cli().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
