import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StageEvent } from '../../functions/handlers/lambdaContext.ts';
import { deadlineMarginMs, stageHandler, type StageResult } from '../../functions/handlers/stageHandler.ts';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { parseConfig } from '../../functions/config/load.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import { entities } from '../../functions/model/index.ts';
import { lakeKeys } from '../../functions/model/lakeKeys.ts';
import { FolderStore } from '../../functions/adapters/local/folderStore.ts';
import { getJson } from '../../functions/ports/objectStore.ts';
import type { QueryEngine } from '../../functions/ports/queryEngine.ts';
import { runStages } from '../../functions/stages/index.ts';
import { createStageContext, type StageContext } from '../../functions/stages/context.ts';
import { curate } from '../../functions/stages/curate.ts';
import { extract } from '../../functions/stages/extract.ts';
import { registerCurated } from '../../functions/stages/lake.ts';
import { buildMarts } from '../../functions/stages/marts.ts';
import type { StageName } from '../../functions/stages/list.ts';
import { catalogRun, freshLake, kpisText, martRows } from '../support/pipelineRun.ts';

/**
 * A curate or marts Lambda that runs out of time: the handler is given a context with little time
 * left, on a clock each statement moves on by one second (Date is faked, nothing else), so the
 * deadline falls part-way through the stage at the same statement on every run. The stage stops,
 * says it is not drained, and is invoked again, as the state machine does, until it says it is.
 * The lake it leaves (curated rows, marts, curate's counts) and the KPIs equal a run that never
 * stopped. DuckDB stands in for Athena: the stop and resume logic is the stage's, not the engine's.
 */
const root = path.resolve(import.meta.dirname, '../../.tmp/stage-deadlines');
const cleanLake = path.join(root, 'clean');
const stoppedLake = path.join(root, 'stopped');
const extractedLake = path.join(root, 'extracted');
const statementMs = 1_000;
const statements = ['registerTables', 'registerLanded', 'createTable', 'createView', 'query', 'writeParquet'];

/** The engine, each statement taking one second on the faked clock. */
function slow(engine: QueryEngine): QueryEngine & { sent: number } {
  let sent = 0;
  return new Proxy(engine, {
    get(target, prop, receiver) {
      if (prop === 'sent') return sent;
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (!statements.includes(String(prop))) return (value as (...a: unknown[]) => unknown).bind(target);
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          sent += 1;
          vi.setSystemTime(Date.now() + statementMs);
        }
      };
    },
  }) as QueryEngine & { sent: number };
}

/** A context for the handler as lambdaContext makes one: the deadline given to the engine too. */
async function contextFor(lake: string, deadline: number | undefined): Promise<StageContext> {
  const ctx = await catalogRun(lake);
  return createStageContext({ ...ctx, engine: slow(ctx.engine), ...(deadline !== undefined ? { deadline } : {}) });
}

/** A stage's Lambda invoked until it says it is drained, with `seconds` of work before its margin each time. */
async function untilDrained(
  name: StageName,
  run: (ctx: StageContext) => Promise<unknown>,
  seconds: number,
): Promise<(StageEvent & StageResult)[]> {
  const context = (_event: StageEvent, deadline?: number) => contextFor(stoppedLake, deadline);
  const handler = stageHandler(name, run, { context });
  const invocation = { getRemainingTimeInMillis: () => deadlineMarginMs + seconds * statementMs };
  const outputs: (StageEvent & StageResult)[] = [];
  for (let i = 0; i < 40; i++) {
    const out = await handler({ period: '2026-10', runId: 'exec-deadline' }, invocation);
    outputs.push(out);
    for (const entity of entities) {
      const key = lakeKeys.curateState(entity.name);
      const state = await getJson<{ pending?: unknown }>(new FolderStore(stoppedLake), key);
      if (state?.pending) folds.push(entity.name);
    }
    if (out.drained) return outputs;
  }
  throw new Error(`${name} was still not drained after 40 invocations`);
}

/** What curate leaves: every curated row, sorted, and curate's own counts per entity. */
type CuratedLake = { rows: Record<string, unknown[]>; counts: Record<string, unknown> };
async function curatedLake(lake: string): Promise<CuratedLake> {
  const ctx = await catalogRun(lake);
  try {
    await registerCurated(ctx);
    const rows: Record<string, unknown[]> = {};
    const counts: Record<string, unknown> = {};
    for (const entity of entities) {
      rows[entity.name] = await ctx.engine.query(`select * from ${entity.name} order by all`);
      // Parts are named by the run that landed them: counted, not named.
      const key = lakeKeys.curateState(entity.name);
      const state = await getJson<{ rawKeys: string[]; pending?: unknown }>(ctx.store, key);
      counts[entity.name] = state && { ...state, rawKeys: state.rawKeys.length };
    }
    return { rows, counts };
  } finally {
    await ctx.engine.close();
  }
}

async function martsOf(lake: string): Promise<Record<string, unknown[]>> {
  const ctx = await catalogRun(lake);
  try {
    return await martRows(ctx);
  } finally {
    await ctx.engine.close();
  }
}

let curateRuns: (StageEvent & StageResult)[] = [];
/** Entities an invocation left with a fold staged but not finished. */
const folds: string[] = [];
let martsRuns: (StageEvent & StageResult)[] = [];
const sentClean = { curate: 0, marts: 0 };

beforeAll(async () => {
  // The clean run: every stage at once, no deadline; the number of statements each one sends.
  const clean = await catalogRun(freshLake(cleanLake));
  const engine = slow(clean.engine);
  const ctx = createStageContext({ ...clean, engine });
  await runStages(ctx, ['extract']);
  await runStages(ctx, ['curate']);
  sentClean.curate = engine.sent;
  await runStages(ctx, ['marts']);
  sentClean.marts = engine.sent - sentClean.curate;
  await runStages(ctx, ['evaluate']);
  await clean.engine.close();

  const stopped = await catalogRun(freshLake(stoppedLake));
  await runStages(stopped, ['extract']);
  await stopped.engine.close();
  cpSync(stoppedLake, extractedLake, { recursive: true });
  vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-01T06:00:00Z') });
  // Each invocation has a third to a sixth of what curate needs in all; the first time that
  // some invocation stops between a fold's two steps (so the next one finishes the fold) is kept.
  for (const part of [3, 4, 5, 6]) {
    rmSync(stoppedLake, { recursive: true, force: true });
    cpSync(extractedLake, stoppedLake, { recursive: true });
    folds.length = 0;
    curateRuns = await untilDrained('curate', curate, Math.ceil(sentClean.curate / part));
    if (folds.length > 0) break;
  }
  martsRuns = await untilDrained('marts', buildMarts, Math.ceil(sentClean.marts / 3));
  vi.useRealTimers();
  const evaluated = await catalogRun(stoppedLake);
  await runStages(evaluated, ['evaluate']);
  await evaluated.engine.close();
}, 300_000);

afterEach(() => {
  vi.useRealTimers();
});

afterAll(() => freshLake(root));

describe('a curate or marts Lambda out of time', () => {
  it('stops part-way, says it is not drained, and is drained once invoked again', () => {
    for (const runs of [curateRuns, martsRuns]) {
      expect(runs.length).toBeGreaterThan(1);
      expect(runs.slice(0, -1).map((r) => r.drained)).toEqual(runs.slice(0, -1).map(() => false));
      expect(runs.at(-1)!.drained).toBe(true);
      for (const r of runs.slice(0, -1)) {
        expect(r.result).toMatchObject({ stoppedForTime: expect.stringMatching(/deadline/) });
      }
    }
    // One stopped between a fold's two steps: the next invocation finished that fold.
    expect(folds.length).toBeGreaterThan(0);
  });

  it('leaves the curated rows and counts a run that never stopped leaves: none lost, none doubled', async () => {
    const clean = await curatedLake(cleanLake);
    const resumed = await curatedLake(stoppedLake);
    for (const entity of entities) {
      expect(resumed.rows[entity.name]!.length, entity.name).toBe(clean.rows[entity.name]!.length);
    }
    expect(resumed.rows).toEqual(clean.rows);
    expect(resumed.counts).toEqual(clean.counts);
  });

  it('builds the same marts and the same KPIs', async () => {
    expect(await martsOf(stoppedLake)).toEqual(await martsOf(cleanLake));
    expect(kpisText(stoppedLake)).toBe(kpisText(cleanLake));
  });
});

describe('a curate Lambda killed while it writes', () => {
  const dir = path.join(root, 'killed');
  const header = 'id,created_at,updated_at,status,channel';

  /** A local lake of tickets; `killed`: a write clears what it replaces, then the Lambda dies (at 900 s). */
  async function lake(killed = false): Promise<StageContext> {
    const sources = [{ name: 'desk', type: 'csv', entity: 'tickets', path: 'exports/*.csv' }];
    const config = parseConfig({ timezone: 'UTC', lake: './lake', sources }, path.join(dir, 'pulse.config.json'));
    const ctx = await createLocalContext(config, parsePeriod('2026-10'), { quiet: true });
    if (!killed) return ctx;
    const engine = new Proxy(ctx.engine, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'writeParquet') return typeof value === 'function' ? (value as () => void).bind(target) : value;
        // What UNLOAD's caller does first (the written partitions cleared), then no more.
        return async (_sql: string, prefix: string, options: { months?: string[] }) => {
          const base = prefix.replace(/\/$/, '');
          if (options.months) for (const m of options.months) await ctx.store.deletePrefix(`${base}/month=${m}/`);
          else await ctx.store.deletePrefix(`${base}/`);
          throw new Error('the Lambda was killed at its timeout');
        };
      },
    });
    return createStageContext({ ...ctx, engine });
  }

  async function tickets(ctx: StageContext): Promise<string[]> {
    await registerCurated(ctx);
    const rows = await ctx.engine.query('select id, month, status from tickets order by id');
    return rows.map((r) => `${r.id} ${r.month} ${r.status}`);
  }

  it('loses no curated row of a month it was rewriting: the next curate folds the export again', async () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(path.join(dir, 'exports'), { recursive: true });
    const first = [
      'A,2026-10-02T10:00:00Z,2026-10-02T10:00:00Z,open,email',
      'B,2026-10-05T10:00:00Z,2026-10-05T10:00:00Z,open,chat',
      'C,2026-09-10T10:00:00Z,2026-09-10T10:00:00Z,solved,web',
    ];
    writeFileSync(path.join(dir, 'exports/tickets-1.csv'), [header, ...first].join('\n'));
    const ctx = await lake();
    await extract(ctx);
    await curate(ctx);
    // A later export solves A: October is rewritten, B copied out of it first.
    const second = 'A,2026-10-02T10:00:00Z,2026-10-20T10:00:00Z,solved,email';
    writeFileSync(path.join(dir, 'exports/tickets-2.csv'), [header, second].join('\n'));
    await extract(ctx);
    const killed = await lake(true);
    await expect(curate(killed)).rejects.toThrow(/killed/);
    await killed.engine.close();
    await curate(ctx);
    expect(await tickets(ctx)).toEqual(['A 2026-10 solved', 'B 2026-10 open', 'C 2026-09 solved']);
    await ctx.engine.close();
  });
});

describe('a marts Lambda out of time, then a curate that changes the rows', () => {
  const header = 'id,created_at,updated_at,status,channel';
  const first = [
    'A,2026-10-02T10:00:00Z,2026-10-02T10:00:00Z,open,email',
    'B,2026-09-05T10:00:00Z,2026-09-05T10:00:00Z,open,chat',
  ];
  const second = [
    'A,2026-10-02T10:00:00Z,2026-10-20T10:00:00Z,solved,email',
    'C,2026-10-07T10:00:00Z,2026-10-07T10:00:00Z,open,web',
  ];

  /** A lake of these exports (each a file), or the same lake opened again (a Lambda of its own). */
  async function lake(name: string, exports?: string[][]): Promise<StageContext> {
    const dir = path.join(root, name);
    if (exports) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(path.join(dir, 'exports'), { recursive: true });
      for (const [i, rows] of exports.entries()) {
        writeFileSync(path.join(dir, `exports/tickets-${i}.csv`), [header, ...rows].join('\n'));
      }
    }
    const sources = [{ name: 'desk', type: 'csv', entity: 'tickets', path: 'exports/*.csv' }];
    const config = parseConfig({ timezone: 'UTC', lake: './lake', sources }, path.join(dir, 'pulse.config.json'));
    return createLocalContext(config, parsePeriod('2026-10'), { quiet: true });
  }

  it('builds again what it built from the rows before: the marts equal a lake built at once', async () => {
    const once = await lake('marts-once', [first, second]);
    await runStages(once, ['extract', 'curate', 'marts']);
    const expected = await martRows(once);
    await once.engine.close();

    const ctx = await lake('marts-changed', [first]);
    await runStages(ctx, ['extract', 'curate']);
    // marts stops after a few statements, having built some marts from the first export's rows
    const lambda = await lake('marts-changed');
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-01T06:00:00Z') });
    const deadline = Date.now() + 8 * statementMs;
    const stopped = createStageContext({ ...lambda, engine: slow(lambda.engine), deadline });
    await expect(buildMarts(stopped)).rejects.toThrow(/deadline/);
    vi.useRealTimers();
    await lambda.engine.close();
    expect((await getJson<{ done: string[] }>(ctx.store, lakeKeys.martsProgress))?.done.length).toBeGreaterThan(0);
    // a later run curates the second export, then builds the marts to the end
    writeFileSync(path.join(root, 'marts-changed', 'exports/tickets-1.csv'), [header, ...second].join('\n'));
    await runStages(ctx, ['extract', 'curate', 'marts']);
    expect(await martRows(ctx)).toEqual(expected);
    await ctx.engine.close();
  });
});
