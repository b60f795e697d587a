import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { loadConfig } from '../../functions/config/load.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import { lakeKeys } from '../../functions/model/lakeKeys.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { curate } from '../../functions/stages/curate.ts';
import { extract } from '../../functions/stages/extract.ts';
import { kpiMonthlyMart, marts, registerLake } from '../../functions/stages/lake.ts';
import { buildMarts } from '../../functions/stages/marts.ts';
import { martRows } from '../support/pipelineRun.ts';

/**
 * The marts stage rebuilds only what changed: nothing on unchanged inputs; every month from the
 * earliest one a late update touched (a month's KPIs read earlier months, never later ones);
 * everything when the definitions change. What it leaves equals a lake built at once.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'pulse-incremental-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const header = 'id,created_at,first_response_at,solved_at,updated_at,status,channel,priority,category,reopens,agent_replies,satisfaction';
function ticket(id: string, created: string, solved: string | null, updated: string, status: string, channel = 'email') {
  const replied = created.replace(/T(\d\d)/, (_, h: string) => `T${String(Number(h) + 1).padStart(2, '0')}`);
  return [id, created, replied, solved ?? '', updated, status, channel, 'normal', 'billing', 0, 2, solved ? 5 : ''].join(',');
}
const first = [
  header,
  ...Array.from({ length: 30 }, (_, i) => {
    const month = ['08', '09', '10'][i % 3]!;
    const day = String(1 + (i % 27)).padStart(2, '0');
    const created = `2026-${month}-${day}T08:00:00Z`;
    const solved = i % 4 === 0 ? null : `2026-${month}-${day}T15:00:00Z`;
    return ticket(`T${i}`, created, solved, solved ?? created, solved ? 'solved' : 'open', i % 2 ? 'chat' : 'email');
  }),
].join('\n');
// Later: T4 (created in August, open) solved in September; a new October ticket.
const second = [header, ticket('T4', '2026-08-05T08:00:00Z', '2026-09-20T10:00:00Z', '2026-09-20T10:00:00Z', 'solved'), ticket('T99', '2026-10-20T08:00:00Z', null, '2026-10-20T08:00:00Z', 'open')].join('\n');

async function lake(name: string, files: Record<string, string>, definitions: Record<string, unknown> = {}, audiences?: unknown[]): Promise<StageContext> {
  const folder = path.join(dir, name);
  mkdirSync(path.join(folder, 'exports'), { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(folder, 'exports', file), `${text}\n`);
  writeFileSync(path.join(folder, 'pulse.config.json'), JSON.stringify({ lake: './lake', timezone: 'UTC', sources: [{ name: 'desk', type: 'csv', entity: 'tickets', path: 'exports/*.csv' }], definitions, ...(audiences ? { audiences } : {}) }));
  return createLocalContext(await loadConfig(path.join(folder, 'pulse.config.json')), parsePeriod('2026-10'), { quiet: true });
}

const kpiMonthsOf = (summary: Awaited<ReturnType<typeof buildMarts>>) => summary.find((s) => s.mart === kpiMonthlyMart)!.months;

/** An audience for the whole lake and one for the chat channel's slice. */
const chatDesk = [
  { name: 'all', report: 'executive', recipients: ['all@example.com'] },
  { name: 'chat-desk', report: 'executive', recipients: ['chat@example.com'], slice: { channel: 'chat' } },
];

/** Extract, curate and the marts stage on the lake as its exports are now: the marts' summary. */
async function build(ctx: StageContext, options?: Parameters<typeof buildMarts>[1]) {
  await extract(ctx);
  await curate(ctx);
  return buildMarts(ctx, options);
}

describe('incremental marts', () => {
  it('build everything first, nothing on unchanged inputs, and the months from a late update on', async () => {
    const ctx = await lake('grows', { 'a.csv': first });
    expect(kpiMonthsOf(await build(ctx))).toBe('all');
    const kpiFile = () => statSync(path.join(dir, 'grows', 'lake', 'marts', 'kpi_monthly', 'month=2026-08', 'part_0.parquet')).mtimeMs;
    const before = kpiFile();
    // The marts' record of what they were built from: rewritten only by a build that wrote something.
    const builtFile = () => statSync(path.join(dir, 'grows', 'lake', lakeKeys.martsBuilt)).mtimeMs;
    const builtBefore = builtFile();

    // Unchanged inputs: nothing extracted, nothing curated, nothing rebuilt.
    const idle = await build(ctx);
    expect(kpiMonthsOf(idle)).toEqual([]);
    expect(idle.find((s) => s.mart === 'tickets_created')!.months).toEqual([]);
    expect(kpiFile()).toBe(before);
    expect(builtFile()).toBe(builtBefore);

    // A late update to an August ticket, solved in September: its month (August, by created_at) and every later one rebuilt.
    writeFileSync(path.join(dir, 'grows', 'exports', 'b.csv'), `${second}\n`);
    const late = await build(ctx);
    expect(kpiMonthsOf(late)).toEqual(['2026-08', '2026-09', '2026-10']);
    expect(late.find((s) => s.mart === 'tickets_created')!.months).toEqual(['2026-08', '2026-09', '2026-10']);

    const atOnce = await lake('at-once', { 'a.csv': first, 'b.csv': second });
    await build(atOnce);
    expect(await martRows(ctx)).toEqual(await martRows(atOnce));
    await ctx.engine.close();
    await atOnce.engine.close();
  });

  it("rebuild a slice's rows of every mart for the same months as the lake's, as a lake built at once holds them", async () => {
    // Every row of every mart, each slice's too (the stored tables, their slice column).
    const stored = async (ctx: StageContext) => {
      await registerLake(ctx, undefined, { catalog: true });
      const out: Record<string, unknown[]> = {};
      for (const name of marts.map((m) => m.name)) out[name] = await ctx.engine.query(`select * from ${name} order by all`);
      return out;
    };
    const ctx = await lake('sliced', { 'a.csv': first }, {}, chatDesk);
    await build(ctx);
    const chat = async () => {
      await registerLake(ctx, undefined, { catalog: true });
      const rows = await ctx.engine.query(`select month, count(*) as n from tickets_created where slice = 'channel=chat' group by month order by month`);
      return rows.map((r) => `${r.month} ${r.n}`);
    };
    // T1, T3, …: the odd tickets are chat's, five a month.
    expect(await chat()).toEqual(['2026-08 5', '2026-09 5', '2026-10 5']);
    // The late update (T4, email, August) and a new chat ticket in October.
    const late = [header, ticket('T4', '2026-08-05T08:00:00Z', '2026-09-20T10:00:00Z', '2026-09-20T10:00:00Z', 'solved'), ticket('T97', '2026-10-22T08:00:00Z', null, '2026-10-22T08:00:00Z', 'open', 'chat')].join('\n');
    writeFileSync(path.join(dir, 'sliced', 'exports', 'b.csv'), `${late}\n`);
    const summary = await build(ctx);
    expect(summary.find((s) => s.mart === 'tickets_created')!.months).toEqual(['2026-08', '2026-09', '2026-10']);
    expect(await chat()).toEqual(['2026-08 5', '2026-09 5', '2026-10 6']);

    const atOnce = await lake('sliced-at-once', { 'a.csv': first, 'b.csv': late }, {}, chatDesk);
    await build(atOnce);
    expect(await stored(ctx)).toEqual(await stored(atOnce));
    await ctx.engine.close();
    await atOnce.engine.close();
  });

  it('measure kpi_monthly in statements of at most so many tickets, with the numbers of one statement', async () => {
    // The kpi_monthly writes a build makes: one per batch of months.
    const kpiWrites = (ctx: StageContext) => {
      const months: string[][] = [];
      const write = ctx.engine.writeParquet.bind(ctx.engine);
      ctx.engine.writeParquet = async (sql, prefix, options) => {
        if (prefix === lakeKeys.mart(kpiMonthlyMart)) months.push(options.months ?? []);
        return write(sql, prefix, options);
      };
      return months;
    };
    const whole = await lake('one-statement', { 'a.csv': first }, {}, chatDesk);
    const cut = await lake('cut-statements', { 'a.csv': first }, {}, chatDesk);
    const [wholeWrites, cutWrites] = [kpiWrites(whole), kpiWrites(cut)];
    await build(whole);
    // Ten tickets a month: 15 hold one month (a month over the most would be a batch of its own).
    await build(cut, { kpiBatchTickets: 15 });
    expect(wholeWrites).toEqual([['2026-08', '2026-09', '2026-10']]);
    expect(cutWrites).toEqual([['2026-08'], ['2026-09'], ['2026-10']]);
    expect(await martRows(cut)).toEqual(await martRows(whole));
    await whole.engine.close();
    await cut.engine.close();
  });

  it('rebuild only the months from the earliest one touched', async () => {
    const ctx = await lake('october', { 'a.csv': first });
    await build(ctx);
    writeFileSync(path.join(dir, 'october', 'exports', 'c.csv'), `${[header, ticket('T98', '2026-10-21T08:00:00Z', null, '2026-10-21T08:00:00Z', 'open')].join('\n')}\n`);
    expect(kpiMonthsOf(await build(ctx))).toEqual(['2026-10']);
    await ctx.engine.close();
  });

  it('rebuild everything when the definitions change', async () => {
    const ctx = await lake('redefined', { 'a.csv': first });
    await build(ctx);
    ctx.config.definitions = { ...ctx.config.definitions, complaintCategories: ['billing'] };
    expect(kpiMonthsOf(await buildMarts(ctx))).toBe('all');
    await ctx.engine.close();
  });
});
