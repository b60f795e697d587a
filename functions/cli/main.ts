import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { loadConfig, resolveLake } from '../config/load.ts';
import { isTimeZone } from '../config/schema.ts';
import { ConfigError, PulseError, StageError, UsageError } from '../errors.ts';
import { redact } from '../redaction.ts';
import { addMonths, isMonth, parsePeriod, periodAt } from '../kpis/period.ts';
import { newRunId } from '../runtime/runId.ts';
import { stageNames, type StageName } from '../stages/list.ts';
import type { StageOutcome } from '../stages/index.ts';
import type { GenerateOptions } from '../sample/demoCompany.ts';
import { demoConfig, writeDemoConfig } from './demo.ts';
import { displayPath } from './displayPath.ts';
import type { QueryFormat } from './query.ts';

/** The formats pulse query prints a result in (functions/cli/query.ts). */
const queryFormats = ['table', 'csv', 'json'] as const;

// The stages, the engine and the renderers load only in the command that uses them, so
// `pulse --help` and `pulse check-config` start without MJML, Vega, ExcelJS or DuckDB's run path.
const stagesModule = () => import('../stages/index.ts');
const wiringModule = () => import('./wiring.ts');

/** A whole-number option of at least `min`. */
const wholeNumber = (min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new InvalidArgumentError(
      min === 1 ? 'must be a positive whole number' : `must be a whole number, ${min} or more`,
    );
  return n;
};
const positiveInt = wholeNumber(1);
const seedInt = wholeNumber(0);

const timeZoneOption = (value: string) => {
  if (!isTimeZone(value)) throw new InvalidArgumentError('unknown IANA time zone (e.g. Europe/Berlin)');
  return value;
};

const formatOption = (value: string) => {
  if (!(queryFormats as readonly string[]).includes(value))
    throw new InvalidArgumentError(`must be one of ${queryFormats.join(', ')}`);
  return value as QueryFormat;
};

const monthOption = (value: string) => {
  if (!isMonth(value)) throw new InvalidArgumentError('must be a month, YYYY-MM');
  return value;
};

function parseStages(text: string): StageName[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !stageNames.includes(n as StageName));
  if (unknown.length > 0)
    throw new InvalidArgumentError(`unknown stage ${unknown.join(', ')} (stages: ${stageNames.join(', ')})`);
  return names as StageName[];
}

/** The month before today's, in the business time zone: what a monthly run reports on. */
function lastFullMonth(now: Date, timezone: string): string {
  const local = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit' }).format(now);
  return addMonths(local.slice(0, 7), -1);
}

function summarise(outcomes: StageOutcome[]) {
  return outcomes.map((o) => ({ stage: o.stage, seconds: Math.round(o.seconds * 1000) / 1000, result: o.result }));
}

/** --wait with no number: how long a run waits for another to give the lake back. */
const defaultWaitSeconds = 3600;

/** Stages that report on the period: run for one that has not ended only to date (--partial). */
const reportingStages: StageName[] = ['evaluate', 'render', 'deliver'];

/** `pulse run`'s options, as commander gives them. */
interface RunOptions {
  stages?: StageName[];
  resend?: boolean;
  reextract?: boolean;
  force?: boolean;
  json?: boolean;
  partial?: boolean;
  wait?: true | number;
}

async function runPipeline(configFile: string, periodText: string, options: RunOptions, now: Date) {
  const loaded = await loadConfig(configFile);
  const asked = parsePeriod(periodText);
  const reports = (options.stages ?? stageNames).some((s) => reportingStages.includes(s));
  const period = reports ? periodAt(asked, now, loaded.config.timezone, options.partial ?? false) : asked;
  const [{ createLocalContext, createLakeLock, removeLeftovers }, { runStages }, { holdLake }] = await Promise.all([
    wiringModule(),
    stagesModule(),
    import('./holdLake.ts'),
  ]);
  // One run per lake (docs/design.md): the lake is taken before any stage, or its engine, opens it.
  const log = options.json ? () => {} : (message: string) => void process.stderr.write(`${message}\n`);
  const lock = await createLakeLock(loaded, log);
  const runId = newRunId(now);
  const waitSeconds = options.wait === true ? defaultWaitSeconds : options.wait;
  await holdLake(lock, { runId, log, ...(waitSeconds !== undefined ? { waitSeconds } : {}) });
  try {
    await removeLeftovers(loaded, log);
    const ctx = await createLocalContext(loaded, period, {
      resend: options.resend ?? false,
      reextract: options.reextract ?? false,
      force: options.force ?? false,
      quiet: options.json ?? false,
      now,
      runId,
    });
    try {
      const outcomes = await runStages(ctx, options.stages);
      return { lake: resolveLake(loaded), period, outcomes };
    } finally {
      await ctx.engine.close();
    }
  } finally {
    await lock.release();
  }
}

/** Each stage with the seconds it took, as the run's last line says it. */
const stageTimes = (stages: readonly { stage: string; seconds: number }[]) =>
  `Done: ${stages.map((o) => `${o.stage} ${o.seconds.toFixed(1)}s`).join(', ')}`;

/**
 * The sample company written (functions/sample/demoCompany.ts), with its tickets counted on a
 * progress bar on stderr (none with --json), and the seconds it took.
 */
async function generateCompany(options: GenerateOptions, quiet: boolean) {
  const [{ generateSampleCompany }, { progressFor }] = await Promise.all([
    import('../sample/demoCompany.ts'),
    import('./progress.ts'),
  ]);
  const progress = progressFor(quiet);
  const began = Date.now();
  progress.start('generate tickets', 0, 'rows');
  try {
    const result = await generateSampleCompany({ ...options, onProgress: (done) => progress.update(done) });
    return { result, seconds: (Date.now() - began) / 1000 };
  } finally {
    progress.stop();
  }
}

/**
 * How a command answers. With --json, stdout carries exactly one JSON object whatever happens
 * (`done` on success, `{"ok": false, "error": …}` from main on a failure), and the lines a
 * person reads go to stderr; without it, they go to stdout.
 */
interface Answer {
  json: boolean;
  /** A line for the person at the terminal. */
  say(text: string): void;
  /** The command's result: printed as text, or as the JSON object's members. */
  done(result: Record<string, unknown>, text?: string): void;
}

function answerFor(io: { out: (s: string) => void }, json: boolean): Answer & { result?: Record<string, unknown> } {
  const answer: Answer & { result?: Record<string, unknown> } = {
    json,
    say: (text) => (json ? process.stderr.write(text) : io.out(text)),
    done(result, text) {
      answer.result = result;
      if (!json && text !== undefined) io.out(text);
    },
  };
  return answer;
}

const jsonOption = ['--json', 'print one JSON object on stdout (errors too)'] as const;

/** Where the CLI prints, and its clock (a test fixes "now"; a run reads the system's). */
export interface CliIo {
  out: (s: string) => void;
  now?: () => Date;
}

function buildProgram(io: CliIo, answer: Answer) {
  const now = () => io.now?.() ?? new Date();
  const program = new Command('pulse')
    .description('Customer-service KPIs from CRM and helpdesk exports: scorecards, TRC and marts.')
    .exitOverride()
    .configureOutput({ writeOut: answer.json ? answer.say : io.out, writeErr: (s) => process.stderr.write(s) });

  program
    .command('demo')
    .description('generate a sample company (13 months) and run the whole pipeline on it')
    .option('--out <dir>', 'output folder', './pulse-demo')
    .option('--tickets-per-month <n>', 'average tickets per month', positiveInt, 3000)
    .option('--months <n>', 'months of history', positiveInt, 13)
    .option('--seed <n>', 'random seed', seedInt, 42)
    .option('--timezone <zone>', 'business time zone', timeZoneOption, 'Europe/Berlin')
    .option(...jsonOption)
    .action(
      async (options: { out: string; ticketsPerMonth: number; months: number; seed: number; timezone: string }) => {
        const out = path.resolve(options.out);
        const period = lastFullMonth(now(), options.timezone);
        answer.say(
          `Generating a sample company: ${options.months} months to ${period}, ~${options.ticketsPerMonth} tickets a month…\n`,
        );
        const generated = await generateCompany(
          {
            outDir: path.join(out, 'exports'),
            months: options.months,
            ticketsPerMonth: options.ticketsPerMonth,
            seed: options.seed,
            endMonth: period,
            timezone: options.timezone,
          },
          answer.json,
        );
        const configFile = await writeDemoConfig(out, options.timezone);
        const { lake, outcomes } = await runPipeline(configFile, period, { json: answer.json }, now());
        const generate = { stage: 'generate', seconds: Math.round(generated.seconds * 1000) / 1000 };
        answer.done(
          {
            config: configFile,
            period,
            lake,
            stages: [generate, ...summarise(outcomes)],
          },
          [
            '',
            stageTimes([generate, ...outcomes]),
            `Done. Config:   ${displayPath(configFile)}`,
            `KPIs:           ${displayPath(path.join(lake, 'reports', period, 'kpis.json'))}`,
            ...demoConfig(options.timezone).audiences.map(
              ({ name: audience }) =>
                `${`${audience}:`.padEnd(15)} ${displayPath(path.join(lake, 'reports', period, audience, 'preview.html'))} (message.eml beside it)`,
            ),
            `Sent (outbox):  ${displayPath(path.join(lake, 'outbox', period))}`,
            '',
          ].join('\n'),
        );
      },
    );

  program
    .command('run')
    .description('run the pipeline (or some stages) for a period')
    .requiredOption('--config <file>', 'pulse.config.json')
    .requiredOption('--period <period>', 'YYYY-MM, YYYY-Qn or YYYY-MM..YYYY-MM')
    .option('--stages <list>', `comma-separated subset of ${stageNames.join(',')}`, parseStages)
    .option('--resend', 'send again what the ledger says was sent')
    .option('--reextract', 'read every source file again, even those already read')
    .option('--force', 'evaluate and render again even when nothing they read has changed')
    .option(...jsonOption)
    .option('--partial', 'report a period that has not ended, to date, compared with the same days before')
    .option(
      '--wait [seconds]',
      `if another run holds the lake, wait for it to finish (at most this long; default ${defaultWaitSeconds})`,
      positiveInt,
    )
    .action(async (options: RunOptions & { config: string; period: string }) => {
      const { lake, period, outcomes } = await runPipeline(options.config, options.period, options, now());
      const reported = outcomes.some((o) => o.stage === 'evaluate' || o.stage === 'render');
      answer.done(
        { period, lake, stages: summarise(outcomes) },
        `${stageTimes(outcomes)}\n${reported ? `Report: ${displayPath(path.join(lake, 'reports', period.id))}\n` : ''}`,
      );
    });

  program
    .command('generate')
    .description('write sample exports (CSV) of a realistic support organisation')
    .requiredOption('--out <dir>', 'output folder')
    .option('--months <n>', 'months of history', positiveInt, 13)
    .option('--tickets-per-month <n>', 'average tickets per month', positiveInt, 3000)
    .option('--seed <n>', 'random seed', seedInt, 42)
    .option('--end-month <month>', 'last month generated (YYYY-MM); default: last month', monthOption)
    .option('--timezone <zone>', 'business time zone', timeZoneOption, 'UTC')
    .option(...jsonOption)
    .action(
      async (options: {
        out: string;
        months: number;
        ticketsPerMonth: number;
        seed: number;
        endMonth?: string;
        timezone: string;
      }) => {
        const endMonth = options.endMonth ?? lastFullMonth(now(), options.timezone);
        const { result, seconds } = await generateCompany(
          {
            outDir: path.resolve(options.out),
            months: options.months,
            ticketsPerMonth: options.ticketsPerMonth,
            seed: options.seed,
            endMonth,
            timezone: options.timezone,
          },
          answer.json,
        );
        answer.done(
          { endMonth, seconds, files: result.files },
          `${Object.entries(result.files)
            .map(([e, f]) => `${e.padEnd(14)} ${String(f.rows).padStart(10)} rows  ${f.path}`)
            .join('\n')}\nGenerated in ${seconds.toFixed(1)} s.\n`,
        );
      },
    );

  program
    .command('check-config')
    .description('validate a config, open its sources and show the first rows as Pulse reads them')
    .argument('<file>', 'pulse.config.json')
    .option(...jsonOption)
    .action(async (file: string) => {
      const { checkConfig } = await import('./checkConfig.ts');
      const { text, problems } = await checkConfig(file);
      // With --json the screen goes to stderr, the problems into the error object.
      answer.say(text);
      if (problems.length > 0) throw new ConfigError(problems);
      answer.done({ file: path.resolve(file), problems });
    });
  program
    .command('query')
    .description('run SQL over the local lake: curated tables and marts under their Athena names')
    .argument('[sql]', 'a SELECT, as it would run in Athena')
    .option('--config <file>', 'pulse.config.json')
    .option('--named <query>', 'run a named query instead (see --list)')
    .option('--list', 'list the named queries')
    .option('--format <format>', `${queryFormats.join(', ')}`, formatOption, 'table')
    .option(...jsonOption)
    .action(
      async (
        sql: string | undefined,
        options: { config?: string; named?: string; list?: boolean; format: QueryFormat },
      ) => {
        const query = await import('./query.ts');
        if (options.list) {
          answer.done({ queries: query.namedQueries }, query.namedQueryList());
          return;
        }
        if (!options.config) throw new UsageError('pulse query needs --config <file> (the config whose lake to read)');
        if (Boolean(sql) === Boolean(options.named))
          throw new UsageError('pulse query takes either a SELECT or --named <query> (see pulse query --list)');
        const text = sql ?? query.namedQuery(options.named!).sql;
        const loaded = await loadConfig(options.config);
        const result = await query.queryLake(loaded, text, lastFullMonth(now(), loaded.config.timezone));
        answer.done({ ...result }, query.formatResult(result, options.format));
      },
    );
  return program;
}

interface Failure {
  code: number;
  /** What --json prints as `error`: the kind of failure, its message, and what else names it. */
  error: { kind: string; message: string; stage?: string; problems?: string[] };
}

/** A failure as its exit code, its line on stderr, and its JSON: usage and config are 2, the rest 1. */
function failure(error: unknown): Failure {
  const { code, error: said } = failureOf(error);
  // Whatever a failure quotes (a server's answer, a path), no credential reaches the screen (functions/redaction.ts).
  const problems = said.problems ? { problems: said.problems.map(redact) } : {};
  return { code, error: { ...said, message: redact(said.message), ...problems } };
}

function failureOf(error: unknown): Failure {
  if (error instanceof CommanderError) {
    const message = error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
    return { code: error.exitCode === 0 ? 0 : 2, error: { kind: 'usage', message } };
  }
  const cause = error instanceof StageError ? error.cause : error;
  const stage = error instanceof StageError ? { stage: error.stage } : {};
  if (cause instanceof ConfigError)
    return { code: 2, error: { kind: 'config', message: cause.message, ...stage, problems: cause.problems } };
  if (cause instanceof UsageError) return { code: 2, error: { kind: 'usage', message: cause.message, ...stage } };
  if (error instanceof StageError) return { code: 1, error: { kind: 'stage', message: error.message, ...stage } };
  const message = error instanceof PulseError ? error.message : ((error as Error)?.message ?? String(error));
  return { code: 1, error: { kind: error instanceof PulseError ? 'failed' : 'internal', message } };
}

/** Exit codes: 0 done, 1 failed (with the stage and cause), 2 bad usage or config. */
export async function main(
  argv: string[],
  io: CliIo = { out: (s: string) => void process.stdout.write(s) },
): Promise<number> {
  // Known before parsing, so that a parse error is answered in JSON too.
  const answer = answerFor(io, argv.includes('--json'));
  const printJson = (value: object) => io.out(`${JSON.stringify(value, null, 2)}\n`);
  const program = buildProgram(io, answer);
  try {
    await program.parseAsync(argv, { from: 'user' });
    if (answer.json) printJson({ ok: true, ...answer.result });
    return 0;
  } catch (error) {
    const { code, error: said } = failure(error);
    if (answer.json) printJson(code === 0 ? { ok: true } : { ok: false, exitCode: code, error: said });
    // Commander has already said what was wrong with the command line.
    if (error instanceof CommanderError) return code;
    const cause = error instanceof StageError ? error.cause : error;
    const say = (text: string) => process.stderr.write(redact(text));
    if (code === 2) say(`pulse: ${(cause as Error).message}\n`);
    else if (error instanceof StageError) {
      say(`pulse: ${error.message}\n`);
      if (process.env.PULSE_DEBUG) say(`${(cause as Error)?.stack}\n`);
    } else say(`pulse: ${error instanceof PulseError ? error.message : ((error as Error)?.stack ?? String(error))}\n`);
    return code;
  }
}
