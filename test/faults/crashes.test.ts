import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryError } from '../../functions/errors.ts';
import type { QueryEngine } from '../../functions/ports/queryEngine.ts';
import type { Source } from '../../functions/ports/source.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { runStages, stageNames } from '../../functions/stages/index.ts';
import { catalogRun, freshLake, kpisText, martRows, outboxCopies } from '../support/pipelineRun.ts';

/**
 * Faults at every stage boundary and inside the stages: a run that dies after any stage, in the
 * middle of extract or of deliver, or on a failed or throttled query, and is then run again
 * (a new process, a new run id) ends with the kpis.json (but generatedAt) and the marts of a
 * clean run, and every recipient with exactly one copy.
 */
const root = path.resolve(import.meta.dirname, '../../.tmp/crashes');
let clean: { kpis: string; marts: Record<string, unknown[]>; copies: Record<string, number> };

async function outcome(lake: string, ctx: StageContext) {
  return { kpis: kpisText(lake), marts: await martRows(ctx), copies: outboxCopies(lake) };
}

/** Runs `first` (which is to fail or stop), then the whole pipeline again in a new context; what the lake holds then. */
async function crashThenRerun(name: string, first: (ctx: StageContext) => Promise<unknown>) {
  const lake = freshLake(path.join(root, name));
  const crashed = await catalogRun(lake);
  const failure = await first(crashed).then(
    () => null,
    (error: unknown) => error as Error,
  );
  await crashed.engine.close();
  const rerun = await catalogRun(lake);
  await runStages(rerun);
  const result = await outcome(lake, rerun);
  await rerun.engine.close();
  return { ...result, failure };
}

beforeAll(async () => {
  const lake = freshLake(path.join(root, 'clean'));
  const ctx = await catalogRun(lake);
  await runStages(ctx);
  clean = await outcome(lake, ctx);
  await ctx.engine.close();
}, 120_000);
afterAll(() => freshLake(root));

describe('a crash, then a re-run', () => {
  it('the clean run sends each of the three recipients one copy', () => {
    expect(clean.copies).toEqual({
      'executive/ceo@example.com': 1,
      'executive/coo@example.com': 1,
      'finance/cfo@example.com': 1,
    });
  });

  it.each(stageNames.slice(0, -1).map((stage, i) => [stage, i] as const))(
    'after %s: the same numbers, marts and one copy each',
    async (stage, i) => {
      const { failure, ...after } = await crashThenRerun(`after-${stage}`, (ctx) =>
        runStages(ctx, stageNames.slice(0, i + 1)),
      );
      expect(failure).toBeNull();
      expect(after).toEqual(clean);
    },
  );

  it('in the middle of extract (a source dies after its first chunk): the same', async () => {
    const { failure, ...after } = await crashThenRerun('mid-extract', async (ctx) => {
      ctx.sources = ctx.sources.map((source, i): Source => (i === 0 ? dyingAfterFirstChunk(source) : source));
      await runStages(ctx);
    });
    expect(failure?.message).toMatch(/the process died/);
    expect(after).toEqual(clean);
  });

  it('in the middle of deliver (the process dies on the second message): one copy each', async () => {
    let sent = 0;
    const { failure, ...after } = await crashThenRerun('mid-deliver', async (ctx) => {
      const mail = ctx.mail;
      ctx.mail = {
        ...mail,
        send: async (message) => {
          if (++sent === 2) throw new Error('the process died');
          return mail.send(message);
        },
      };
      await runStages(ctx);
    });
    // The first run sent one message, then died on the second.
    expect(sent).toBeGreaterThanOrEqual(2);
    expect(failure?.message).toMatch(/deliver/);
    expect(after).toEqual(clean);
  });

  it('on a failed query and on a throttled one: the same', async () => {
    for (const [name, error] of [
      [
        'query-failed',
        new QueryError('Athena query q1 failed: HIVE_BAD_DATA (ErrorCategory 2 user)', { retryable: false }),
      ],
      [
        'query-throttled',
        new QueryError('Athena is throttling StartQueryExecution (TooManyRequestsException), still after 5 attempts', {
          retryable: true,
        }),
      ],
    ] as const) {
      const { failure, ...after } = await crashThenRerun(name, async (ctx) => {
        ctx.engine = failingOnce(ctx.engine, /from kpi_monthly/, error);
        await runStages(ctx);
      });
      expect(failure?.message, name).toMatch(/stage evaluate failed/);
      expect(after, name).toEqual(clean);
    }
  });
});

function dyingAfterFirstChunk(source: Source): Source {
  return {
    name: source.name,
    entity: source.entity,
    reading: source.reading,
    async *pull(watermark, options) {
      let chunks = 0;
      for await (const chunk of source.pull(watermark, options)) {
        yield chunk;
        if (++chunks === 1) throw new Error('the process died');
      }
    },
  };
}

/** The engine, but the first query matching `pattern` fails with `error`. */
function failingOnce(engine: QueryEngine, pattern: RegExp, error: Error): QueryEngine {
  let failed = false;
  return new Proxy(engine, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property !== 'query' || typeof value !== 'function')
        return typeof value === 'function' ? value.bind(target) : value;
      return async (sql: string) => {
        if (!failed && pattern.test(sql)) {
          failed = true;
          throw error;
        }
        return (value as QueryEngine['query']).call(target, sql);
      };
    },
  });
}
