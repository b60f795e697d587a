import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PulseConfig } from '../../functions/config/schema.ts';
import type { Row } from '../../functions/ports/queryEngine.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import {
  martAbsentUnder,
  martMonths,
  marts,
  martSliceSql,
  registerCurated,
  registerIntermediate,
  registerLake,
  registerMartViews,
  sqlParams,
} from '../../functions/stages/lake.ts';
import { buildMarts } from '../../functions/stages/marts.ts';
import { configuredSlices, type Slice } from '../../functions/stages/slice.ts';
import { buildFixtureLake } from '../support/lake.ts';

/**
 * Slices as data (docs/design.md, "Slices"): every breakdown mart holds the whole lake's rows
 * (slice '') and each configured slice's, built in the marts stage's one pass, and a slice's rows
 * are exactly what the mart gives computed over that slice's records alone (the mart's SQL over
 * the sliced curated views, as a sliced report computed it before). The golden-catalog fixture
 * (October 2026, UTC) with a team, a channel and a segment slice.
 */
const fixture = path.resolve(import.meta.dirname, '../fixtures/golden-catalog/pulse.config.json');
const lake = path.resolve(import.meta.dirname, '../../.tmp/slice-marts-lake');

const audiences: PulseConfig['audiences'] = [
  { name: 'executive', report: 'executive', recipients: ['ceo@example.com'] },
  { name: 'alpha-lead', report: 'executive', recipients: ['alpha@example.com'], slice: { team: 'alpha' } },
  { name: 'email-desk', report: 'executive', recipients: ['email@example.com'], slice: { channel: 'email' } },
  { name: 'smb', report: 'executive', recipients: ['smb@example.com'], slice: { segment: 'smb' } },
];

let ctx: StageContext;

beforeAll(async () => {
  ({ ctx } = await buildFixtureLake(fixture, '2026-10', {
    lake,
    configure: (config) => {
      config.audiences = audiences;
    },
  }));
}, 300_000);

afterAll(async () => {
  await ctx?.engine.close();
  rmSync(lake, { recursive: true, force: true });
});

const sorted = (rows: Row[]) => rows.map((r) => JSON.stringify(r)).sort();

/** The marts' placeholders as the marts stage renders them: the calendar of every month kpi_monthly holds. */
async function martParams() {
  const months = (await ctx.engine.query('select distinct month from kpi_monthly order by month')).map((r) =>
    String(r.month),
  );
  return { ...sqlParams(ctx.config, ctx.period), mart_months: martMonths(months) };
}

/** Each mart's rows computed from the records registered (the whole lake's, or a slice's views). */
async function computed(slice: Slice | undefined): Promise<Map<string, Row[]>> {
  const params = await martParams();
  await registerCurated(ctx, slice);
  await registerIntermediate(ctx, params);
  await registerMartViews(ctx, params);
  const rows = new Map<string, Row[]>();
  for (const mart of marts) rows.set(mart.name, await ctx.engine.query(`select * from ${mart.name}`));
  await registerLake(ctx);
  return rows;
}

/** A slice's rows of a mart as stored: the marts as the catalog holds them, every slice's rows. */
async function stored(mart: (typeof marts)[number], key: string): Promise<Row[]> {
  await registerLake(ctx, undefined, { catalog: true });
  try {
    return await ctx.engine.query(martSliceSql(mart, key));
  } finally {
    await registerLake(ctx);
  }
}

describe('the breakdown marts, slices as data', () => {
  it('hold the whole lake and every configured slice, and nothing else', async () => {
    await registerLake(ctx, undefined, { catalog: true });
    for (const mart of marts) {
      const keys = (await ctx.engine.query(`select distinct slice from ${mart.name}`)).map((r) => r.slice);
      expect(keys, mart.name).toContain('');
      for (const key of keys) expect(['', 'channel=email', 'segment=smb', 'team=alpha'], mart.name).toContain(key);
    }
    // The team slice has rows in every mart its records reach.
    for (const name of ['tickets_created', 'tickets_solved', 'trc', 'ticket_speed', 'agent_month', 'customer_month'])
      expect((await stored(marts.find((m) => m.name === name)!, 'team=alpha')).length, name).toBeGreaterThan(0);
  });

  it("give the whole lake's rows under slice '' as the marts computed from every record", async () => {
    const whole = await computed(undefined);
    for (const mart of marts) {
      const want = whole.get(mart.name)!;
      expect(sorted(await stored(mart, '')), mart.name).toEqual(sorted(want));
    }
    expect(whole.get('tickets_created')!.length).toBe(4);
  });

  it("give each slice's rows as the mart computed over that slice's records alone", async () => {
    await registerLake(ctx);
    let compared = 0;
    for (const { key, slice } of configuredSlices(ctx.config.audiences)) {
      const alone = await computed(slice);
      for (const mart of marts) {
        const rows = await stored(mart, key);
        if (martAbsentUnder(mart, slice) !== undefined) continue;
        expect(sorted(rows), `${mart.name} ${key}`).toEqual(sorted(alone.get(mart.name)!));
        compared += rows.length;
      }
    }
    // Not a comparison of empty sets: K1 and K2 are alpha's, the email tickets, the smb customers'.
    expect(compared).toBeGreaterThan(20);
  });

  it('give no rows of a slice that leaves a mart without the entity its rows stand for', async () => {
    await registerLake(ctx);
    const agentMonth = marts.find((m) => m.name === 'agent_month')!;
    // Agents cannot be sliced by channel or segment: no agent_month rows there, where the sliced
    // records would still give solved tickets with no team and no hours.
    expect(martAbsentUnder(agentMonth, { channel: 'email' })).toMatch(/agents cannot be sliced by channel/);
    expect(await stored(agentMonth, 'channel=email')).toEqual([]);
    expect(await stored(agentMonth, 'segment=smb')).toEqual([]);
    const alone = await computed({ channel: 'email' });
    expect(alone.get('agent_month')!.length).toBeGreaterThan(0);
    // trc under the segment slice: the ledger and agent time are absent, so no cost at all.
    expect(await stored(marts.find((m) => m.name === 'trc')!, 'segment=smb')).toEqual([]);
  });

  it('are rebuilt when a slice is added to the config, whose rows then appear', async () => {
    const team = { team: 'beta' };
    const before = await stored(marts[0], 'team=beta');
    expect(before).toEqual([]);
    ctx.config.audiences = [...audiences, { name: 'beta-lead', report: 'executive', recipients: ['b@example.com'], slice: team }];
    try {
      const summary = await buildMarts(ctx);
      expect(summary.find((s) => s.mart === 'tickets_created')?.months).toBe('all');
      await registerLake(ctx);
      const alone = await computed(team);
      const rows = await stored(marts[0], 'team=beta');
      expect(rows.length).toBeGreaterThan(0);
      expect(sorted(rows)).toEqual(sorted(alone.get('tickets_created')!));
    } finally {
      ctx.config.audiences = audiences;
    }
  }, 120_000);
});
