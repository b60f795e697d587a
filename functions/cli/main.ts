import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { loadConfig, resolveLake } from '../config/load.ts';
import { isTimeZone } from '../config/schema.ts';
import { ConfigError, PulseError, StageError, UsageError } from '../errors.ts';
import { addMonths, isMonth, parsePeriod, periodAt } from '../kpis/period.ts';
import { stageNames, type StageName } from '../stages/list.ts';
import type { StageOutcome } from '../stages/index.ts';
import { demoConfig, writeDemoConfig } from './demo.ts';
import { displayPath } from './displayPath.ts';

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

/** Stages that report on the period: run for one that has not ended only to date (--partial). */
const reportingStages: StageName[] = ['evaluate', 'render', 'deliver'];

async function runPipeline(
  configFile: string,
  periodText: string,
  options: { stages?: StageName[]; resend?: boolean; reextract?: boolean; json?: boolean; partial?: boolean },
  now: Date,
) {
  const loaded = await loadConfig(configFile);
  const asked = parsePeriod(periodText);
  const reports = (options.stages ?? stageNames).some((s) => reportingStages.includes(s));
  const period = reports ? periodAt(asked, now, loaded.config.timezone, options.partial ?? false) : asked;
  const [{ createLocalContext }, { runStages }] = await Promise.all([wiringModule(), stagesModule()]);
  const ctx = await createLocalContext(loaded, period, {
    resend: options.resend ?? false,
    reextract: options.reextract ?? false,
    quiet: options.json ?? false,
    now,
  });
  try {
    const outcomes = await runStages(ctx, options.stages);
    return { lake: resolveLake(loaded), period, outcomes };
  } finally {
    await ctx.engine.close();
  }
}

/** Where the CLI prints, and its clock (a test fixes "now"; a run reads the system's). */
export interface CliIo {
  out: (s: string) => void;
  now?: () => Date;
}

function buildProgram(io: CliIo) {
  const now = () => io.now?.() ?? new Date();
  const program = new Command('pulse')
    .description('Customer-service KPIs from CRM and helpdesk exports: scorecards, TRC and marts.')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: (s) => process.stderr.write(s) });

  program
    .command('demo')
    .description('generate a sample company (13 months) and run the whole pipeline on it')
    .option('--out <dir>', 'output folder', './pulse-demo')
    .option('--tickets-per-month <n>', 'average tickets per month', positiveInt, 3000)
    .option('--months <n>', 'months of history', positiveInt, 13)
    .option('--seed <n>', 'random seed', seedInt, 42)
    .option('--timezone <zone>', 'business time zone', timeZoneOption, 'Europe/Berlin')
    .action(
      async (options: { out: string; ticketsPerMonth: number; months: number; seed: number; timezone: string }) => {
        const out = path.resolve(options.out);
        const period = lastFullMonth(now(), options.timezone);
        io.out(
          `Generating a sample company: ${options.months} months to ${period}, ~${options.ticketsPerMonth} tickets a month…\n`,
        );
        const { generateSampleCompany } = await import('../sample/demoCompany.ts');
        await generateSampleCompany({
          outDir: path.join(out, 'exports'),
          months: options.months,
          ticketsPerMonth: options.ticketsPerMonth,
          seed: options.seed,
          endMonth: period,
          timezone: options.timezone,
        });
        const configFile = await writeDemoConfig(out, options.timezone);
        const { lake } = await runPipeline(configFile, period, {}, now());
        io.out(
          [
            '',
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
    .option('--json', 'print a machine-readable summary')
    .option('--partial', 'report a period that has not ended, to date, compared with the same days before')
    .action(
      async (options: {
        config: string;
        period: string;
        stages?: StageName[];
        resend?: boolean;
        reextract?: boolean;
        json?: boolean;
        partial?: boolean;
      }) => {
        const { lake, period, outcomes } = await runPipeline(options.config, options.period, options, now());
        if (options.json) io.out(`${JSON.stringify({ period, lake, stages: summarise(outcomes) }, null, 2)}\n`);
        else {
          const reported = outcomes.some((o) => o.stage === 'evaluate' || o.stage === 'render');
          io.out(
            `Done: ${outcomes.map((o) => `${o.stage} ${o.seconds.toFixed(1)}s`).join(', ')}\n${reported ? `Report: ${displayPath(path.join(lake, 'reports', period.id))}\n` : ''}`,
          );
        }
      },
    );

  program
    .command('generate')
    .description('write sample exports (CSV) of a realistic support organisation')
    .requiredOption('--out <dir>', 'output folder')
    .option('--months <n>', 'months of history', positiveInt, 13)
    .option('--tickets-per-month <n>', 'average tickets per month', positiveInt, 3000)
    .option('--seed <n>', 'random seed', seedInt, 42)
    .option('--end-month <month>', 'last month generated (YYYY-MM); default: last month', monthOption)
    .option('--timezone <zone>', 'business time zone', timeZoneOption, 'UTC')
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
        const { generateSampleCompany } = await import('../sample/demoCompany.ts');
        const result = await generateSampleCompany({
          outDir: path.resolve(options.out),
          months: options.months,
          ticketsPerMonth: options.ticketsPerMonth,
          seed: options.seed,
          endMonth,
          timezone: options.timezone,
        });
        io.out(
          `${Object.entries(result.files)
            .map(([e, f]) => `${e.padEnd(14)} ${String(f.rows).padStart(10)} rows  ${f.path}`)
            .join('\n')}\n`,
        );
      },
    );

  program
    .command('check-config')
    .description('validate a config, open its sources and show the first rows as Pulse reads them')
    .argument('<file>', 'pulse.config.json')
    .action(async (file: string) => {
      const { checkConfig } = await import('./checkConfig.ts');
      const { text, problems } = await checkConfig(file);
      io.out(text);
      if (problems.length > 0) throw new ConfigError(problems);
    });
  return program;
}

/** Exit codes: 0 done, 1 failed (with the stage and cause), 2 bad usage or config. */
export async function main(
  argv: string[],
  io: CliIo = { out: (s: string) => void process.stdout.write(s) },
): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const cause = error instanceof StageError ? error.cause : error;
    if (cause instanceof ConfigError || cause instanceof UsageError) {
      process.stderr.write(`pulse: ${cause.message}\n`);
      return 2;
    }
    if (error instanceof StageError) {
      process.stderr.write(`pulse: ${error.message}\n`);
      if (process.env.PULSE_DEBUG) process.stderr.write(`${(cause as Error)?.stack}\n`);
      return 1;
    }
    process.stderr.write(
      `pulse: ${error instanceof PulseError ? error.message : ((error as Error)?.stack ?? String(error))}\n`,
    );
    return 1;
  }
}
