import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lakeKeys } from '../../functions/model/lakeKeys.ts';
import type { QueryEngine } from '../../functions/ports/queryEngine.ts';
import { analystInputs } from '../../functions/stages/analystInputs.ts';
import { createStageContext, type StageContext } from '../../functions/stages/context.ts';
import { financeInputs } from '../../functions/stages/financeInputs.ts';
import { runStages } from '../../functions/stages/index.ts';
import type { RenderSummary } from '../../functions/stages/render.ts';
import { catalogRun, freshLake } from '../support/pipelineRun.ts';

/**
 * Render reads only what evaluate wrote: evaluate leaves each finance and analyst audience its
 * report inputs under reports/<period>/<audience>/, and render, given an engine that refuses
 * every call, renders every audience from those files alone.
 */
const lake = path.resolve(import.meta.dirname, '../../.tmp/render-inputs');
let ctx: StageContext;
const readJson = (key: string) => JSON.parse(readFileSync(path.join(lake, key), 'utf8')) as unknown;

/** A value with every list sorted, for comparing row sets whatever their order. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value))
    return value.map(canonical).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, canonical(v)]));
  return value;
}

/** What the engine was asked for: render must ask nothing. */
const touched: string[] = [];
const refusingEngine = new Proxy({} as QueryEngine, {
  get(_, property) {
    if (property === 'then') return undefined;
    touched.push(String(property));
    throw new Error(`render touched the query engine (${String(property)})`);
  },
});

function renderContext(): StageContext {
  return createStageContext({ ...ctx, engine: refusingEngine });
}

beforeAll(async () => {
  ctx = await catalogRun(freshLake(lake));
  ctx.config.audiences = [
    { name: 'executive', report: 'executive', recipients: ['ceo@example.com'] },
    { name: 'finance', report: 'finance', recipients: ['cfo@example.com'] },
    { name: 'finance-email', report: 'finance', recipients: ['email-lead@example.com'], slice: { channel: 'email' } },
    { name: 'analyst', report: 'analyst', recipients: ['analyst@example.com'] },
  ];
  await runStages(ctx, ['extract', 'curate', 'marts', 'evaluate']);
}, 120_000);

afterAll(async () => {
  await ctx.engine.close();
  rmSync(lake, { recursive: true, force: true });
});

describe('render from the inputs evaluate wrote', () => {
  it('evaluate writes each finance and analyst audience its inputs, as the lake gives them', async () => {
    expect(existsSync(path.join(lake, 'reports/2026-10/executive'))).toBe(false);
    // The same tables read live from the lake now (the sliced one under its slice), through JSON;
    // rows in the order the engine returned them (which it does not fix), so sorted both sides.
    const live = async (value: Promise<unknown>) => canonical(JSON.parse(JSON.stringify(await value)));
    const read = (key: string) => canonical(readJson(key));
    expect(read(lakeKeys.financeInputs('2026-10', 'finance'))).toEqual(await live(financeInputs(ctx)));
    const sliced = read(lakeKeys.financeInputs('2026-10', 'finance-email'));
    expect(sliced).toEqual(await live(financeInputs(ctx, { channel: 'email' })));
    expect(sliced).not.toEqual(read(lakeKeys.financeInputs('2026-10', 'finance')));
    const analyst = readJson(lakeKeys.analystInputs('2026-10', 'analyst')) as Awaited<ReturnType<typeof analystInputs>>;
    expect(canonical(analyst)).toEqual(await live(analystInputs(ctx)));
    expect(analyst.inventory.tables.length).toBeGreaterThan(10);
    expect(analyst.queries?.queries.length).toBeGreaterThan(0);
  });

  it('renders every audience with an engine that refuses every call', async () => {
    const [outcome] = await runStages(renderContext(), ['render']);
    const summaries = outcome!.result as RenderSummary[];
    expect(summaries.map((s) => [s.audience, s.withheld])).toEqual([
      ['executive', undefined],
      ['finance', undefined],
      ['finance-email', undefined],
      ['analyst', undefined],
    ]);
    expect(touched).toEqual([]);
    for (const s of summaries) expect(readFileSync(path.join(lake, s.messageKey)).length).toBeGreaterThan(1000);
    // The sliced finance report carries its slice's numbers, not the whole lake's.
    const eml = (name: string) => readFileSync(path.join(lake, lakeKeys.message('2026-10', name)), 'utf8');
    expect(eml('finance-email')).not.toEqual(eml('finance'));
  });

  it("names the evaluate stage when an audience's inputs are missing", async () => {
    rmSync(path.join(lake, lakeKeys.analystInputs('2026-10', 'analyst')));
    await expect(runStages(renderContext(), ['render'])).rejects.toThrow(
      /analyst-inputs\.json does not exist: run the evaluate stage first/,
    );
    expect(touched).toEqual([]);
  });
});
