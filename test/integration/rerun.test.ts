import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.ts';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { loadConfig } from '../../functions/config/load.ts';
import type { PulseConfig } from '../../functions/config/schema.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { QueryEngine } from '../../functions/ports/queryEngine.ts';
import { runStages, stageNames, type StageName } from '../../functions/stages/index.ts';
import { captureCli } from '../support/cliOutput.ts';

/**
 * A re-run on unchanged inputs computes nothing (docs/design.md, "Re-runs"): evaluate and render
 * keep what they wrote and say so; a changed input recomputes exactly what depends on it; --force
 * recomputes. On the whole-catalog fixture, copied with its config so a test can change either,
 * reported for 2026-10 to two audiences through the outbox.
 */
const dir = path.resolve(import.meta.dirname, '../../.tmp/rerun');
const fixture = path.resolve(import.meta.dirname, '../fixtures/golden-catalog');
const configFile = path.join(dir, 'pulse.config.json');
const lake = path.join(dir, 'lake');

/** The engine calls a stage may make: every one of them is work. */
const engineCalls = ['query', 'createView', 'createTable', 'registerTables', 'writeParquet'] as const;

interface Run {
  log: string[];
  /** Engine calls by stage. */
  calls: Record<StageName, number>;
}

/** One run of the pipeline as `pulse run` makes it, stage by stage, counting each stage's engine calls. */
async function run(day: number, options: { force?: boolean } = {}): Promise<Run> {
  const loaded = await loadConfig(configFile);
  const ctx = await createLocalContext(loaded, parsePeriod('2026-10'), {
    quiet: true,
    now: new Date(`2026-11-${String(day).padStart(2, '0')}T06:00:00Z`),
    force: options.force ?? false,
  });
  const log: string[] = [];
  const calls = Object.fromEntries(stageNames.map((s) => [s, 0])) as Record<StageName, number>;
  let stage: StageName = 'extract';
  const engine = ctx.engine as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of engineCalls) {
    const original = (ctx.engine as QueryEngine)[name].bind(ctx.engine) as (...args: unknown[]) => Promise<unknown>;
    engine[name] = async (...args) => {
      calls[stage] += 1;
      return original(...args);
    };
  }
  try {
    for (stage of stageNames) await runStages({ ...ctx, log: (line) => void log.push(line) }, [stage]);
  } finally {
    await ctx.engine.close();
  }
  return { log, calls };
}

/** A lake file, or each file under a lake folder: its modification time, size and content hash. */
function snapshot(under: string): Record<string, string> {
  const files: Record<string, string> = {};
  const root = path.join(lake, under);
  const entries = statSync(root).isFile() ? [''] : readdirSync(root, { recursive: true }).map(String);
  for (const entry of entries) {
    const file = path.join(root, entry);
    const info = statSync(file);
    if (!info.isFile()) continue;
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    files[path.join(under, entry)] = `${info.mtimeMs} ${info.size} ${sha}`;
  }
  return files;
}

function configure(change: (config: PulseConfig) => void): void {
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as PulseConfig;
  change(config);
  writeFileSync(configFile, JSON.stringify(config, null, 2));
}

/** The lines a stage logged (`evaluate`, `render` and `render <audience>`). */
const linesOf = (r: Run, stage: string) => r.log.filter((l) => l.startsWith(`${stage}:`) || l.startsWith(`${stage} `));

/** The audiences render wrote a message for. */
const rendered = (r: Run) => r.log.flatMap((l) => /^render (\w+): reports\/.*message\.eml/.exec(l)?.[1] ?? []);

let first: Run;
const cli = captureCli();

beforeAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  cpSync(fixture, dir, { recursive: true });
  configure((config) => {
    config.lake = './lake';
    // A pattern, so a later export of the tickets is read beside the first.
    config.sources = config.sources.map((s) => (s.name === 'tickets' ? { ...s, path: 'tickets*.csv' } : s));
    config.audiences = [
      { name: 'executive', report: 'executive', recipients: ['ceo@example.com'] },
      { name: 'finance', report: 'finance', recipients: ['cfo@example.com'] },
    ];
  });
  first = await run(1);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a re-run', () => {
  it('on unchanged inputs runs no evaluate query, rewrites no report and says what it kept', async () => {
    // prepare
    const reports = snapshot('reports');
    const marts = snapshot('marts');
    // act
    const again = await run(2);
    // assess: the first run computed; the second kept what it wrote on 2026-11-01.
    expect(first.calls.evaluate).toBeGreaterThan(20);
    expect(again.calls.evaluate).toBe(0);
    expect(linesOf(again, 'evaluate')).toEqual([
      'evaluate: inputs unchanged since 2026-11-01T06:00:00.000Z, kept kpis.json',
    ]);
    expect(linesOf(again, 'render')).toEqual([
      'render: inputs unchanged since 2026-11-01T06:00:00.000Z, kept 2 reports',
    ]);
    expect(snapshot('reports')).toEqual(reports);
    expect(snapshot('marts')).toEqual(marts);
  }, 60_000);

  it('after a target changed recomputes evaluate and render, and builds no mart', async () => {
    // prepare
    const marts = snapshot('marts');
    const kpis = snapshot('reports/2026-10/kpis.json');
    configure((config) => {
      config.targets = { ...config.targets, first_reply_time: { target: 1800, warning: 3600 } };
    });
    // act
    const changed = await run(3);
    // assess
    expect(linesOf(changed, 'marts')).toEqual(['marts: nothing changed; kpi_monthly: 0 month(s) (none)']);
    expect(snapshot('marts')).toEqual(marts);
    expect(changed.calls.evaluate).toBeGreaterThan(20);
    expect(linesOf(changed, 'evaluate')[0]).toBe('evaluate: targets changed since 2026-11-01T06:00:00.000Z');
    expect(snapshot('reports/2026-10/kpis.json')).not.toEqual(kpis);
    expect(rendered(changed)).toEqual(['executive', 'finance']);
    expect(linesOf(changed, 'render executive')[0]).toBe(
      'render executive: lake changed since 2026-11-01T06:00:00.000Z',
    );
  }, 60_000);

  it("after an audience's KPIs changed re-renders that audience only, and evaluate keeps kpis.json", async () => {
    // prepare
    const kpis = snapshot('reports/2026-10/kpis.json');
    const finance = snapshot('reports/2026-10/finance');
    configure((config) => {
      config.audiences[0]!.kpis = ['first_reply_time', 'csat'];
    });
    // act
    const changed = await run(4);
    // assess
    expect(changed.calls.evaluate).toBe(0);
    expect(linesOf(changed, 'evaluate')).toEqual([
      'evaluate: inputs unchanged since 2026-11-03T06:00:00.000Z, kept kpis.json',
    ]);
    expect(snapshot('reports/2026-10/kpis.json')).toEqual(kpis);
    expect(rendered(changed)).toEqual(['executive']);
    expect(linesOf(changed, 'render executive')[0]).toBe(
      'render executive: audience changed since 2026-11-03T06:00:00.000Z',
    );
    expect(linesOf(changed, 'render').at(-1)).toBe(
      'render: inputs unchanged since 2026-11-03T06:00:00.000Z, kept 1 report',
    );
    expect(snapshot('reports/2026-10/finance')).toEqual(finance);
  }, 60_000);

  it('after a new export of one month rebuilds the marts from that month, and evaluates and renders again', async () => {
    // prepare: a ticket of September, the month before the period, in an export of its own.
    const header = readFileSync(path.join(dir, 'tickets.csv'), 'utf8').split('\n')[0]!;
    const row = header
      .split(',')
      .map((column) =>
        column === 'id'
          ? 'K9'
          : column.endsWith('_at')
            ? '2026-09-15T09:00:00Z'
            : (({ status: 'open', channel: 'email', priority: 'normal' } as Record<string, string>)[column] ?? ''),
      );
    writeFileSync(path.join(dir, 'tickets-2026-09.csv'), `${header}\n${row.join(',')}\n`);
    // act
    const changed = await run(5);
    // assess
    expect(linesOf(changed, 'marts')[0]).toMatch(
      /^marts: rebuilt from 2026-09; kpi_monthly: 2 month\(s\) \(2026-09, 2026-10\)/,
    );
    expect(changed.calls.evaluate).toBeGreaterThan(20);
    expect(linesOf(changed, 'evaluate')[0]).toBe('evaluate: lake changed since 2026-11-03T06:00:00.000Z');
    expect(rendered(changed)).toEqual(['executive', 'finance']);
  }, 60_000);

  it('with --force evaluates and renders again though nothing changed', async () => {
    // prepare
    const kpis = snapshot('reports/2026-10/kpis.json');
    // act
    const forced = await run(6, { force: true });
    // assess
    expect(linesOf(forced, 'marts')).toEqual(['marts: nothing changed; kpi_monthly: 0 month(s) (none)']);
    expect(forced.calls.evaluate).toBeGreaterThan(20);
    expect(linesOf(forced, 'evaluate')[0]).toMatch(/^evaluate: \d+ KPIs → /);
    expect(snapshot('reports/2026-10/kpis.json')).not.toEqual(kpis);
    expect(rendered(forced)).toEqual(['executive', 'finance']);
    // And the run after it keeps what --force wrote.
    const again = await run(7);
    expect(again.calls.evaluate).toBe(0);
    expect(linesOf(again, 'render')).toEqual([
      'render: inputs unchanged since 2026-11-06T06:00:00.000Z, kept 2 reports',
    ]);
  }, 90_000);

  it('from the CLI keeps the report, and with --force evaluates again', async () => {
    // prepare
    const io = { ...cli.io, now: () => new Date('2026-11-08T06:00:00Z') };
    const args = ['run', '--config', configFile, '--period', '2026-10', '--stages', 'evaluate'];
    // act
    const kept = await main(args, io);
    const keptErr = cli.err();
    const forced = await main([...args, '--force'], io);
    // assess
    expect([kept, forced]).toEqual([0, 0]);
    expect(keptErr).toContain('evaluate: inputs unchanged since 2026-11-06T06:00:00.000Z, kept kpis.json');
    expect(cli.err().slice(keptErr.length)).toMatch(/^evaluate: \d+ KPIs → /m);
  }, 60_000);
});
