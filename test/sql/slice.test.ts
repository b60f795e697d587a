import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KpiReport } from '../../functions/kpis/types.ts';
import { getJson } from '../../functions/ports/objectStore.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { audienceReportKey, evaluate } from '../../functions/stages/evaluate.ts';
import { buildFixtureLake, measured } from '../support/lake.ts';
import { readSql } from '../../functions/dialect/sqlText.ts';
import { measureQueries } from '../../functions/kpis/measure.ts';
import { registerLake } from '../../functions/stages/lake.ts';

/**
 * A sliced audience's numbers come from its slice's records only (golden-catalog fixture,
 * October 2026, UTC). Worked by hand from test/fixtures/golden-catalog/*.csv.
 */
const fixture = path.resolve(import.meta.dirname, '../fixtures/golden-catalog/pulse.config.json');
const lake = path.resolve(import.meta.dirname, '../../.tmp/slice-lake');

let ctx: StageContext;
let full: KpiReport;
let alpha: KpiReport;
let email: KpiReport;
let smb: KpiReport;
const kpi = measured;

beforeAll(async () => {
  ({ ctx, report: full } = await buildFixtureLake(fixture, '2026-10', {
    lake,
    configure: (config) => {
      config.audiences = [
    { name: 'executive', report: 'executive', recipients: ['ceo@example.com'] },
    { name: 'alpha-lead', report: 'executive', recipients: ['alpha@example.com'], slice: { team: 'alpha' } },
    { name: 'alpha-finance', report: 'finance', recipients: ['cfo@example.com'], slice: { team: 'alpha' } },
    { name: 'email-desk', report: 'executive', recipients: ['email@example.com'], slice: { channel: 'email' } },
    { name: 'smb', report: 'executive', recipients: ['smb@example.com'], slice: { segment: 'smb' } },
      ];
    },
  }));
  const read = async (audience: string) => (await getJson<KpiReport>(ctx.store, audienceReportKey('2026-10', audience)))!;
  alpha = await read('alpha-lead');
  email = await read('email-desk');
  smb = await read('smb');
});

afterAll(async () => {
  await ctx.engine.close();
  rmSync(lake, { recursive: true, force: true });
});

describe('a team slice', () => {
  it('counts only its tickets: K1 and K2 are alpha (K3 beta, K4 no team)', () => {
    expect(alpha.slice).toEqual({ team: 'alpha' });
    expect(kpi(alpha, 'tickets_created').value).toBe(2);
    expect(kpi(alpha, 'tickets_solved').value).toBe(2);
    expect(kpi(full, 'tickets_created').value).toBe(4);
  });

  it("costs only its agents' time and its own ledger rows", () => {
    // Direct labour: a1 8 h (10-01) + 8 h (10-02) at 50 = 800; a2 6 h at 40 = 240 (a1's 09-30 is September).
    // Ledger: the alpha labor row, 500; telephony, tooling and facilities are shared, not alpha's.
    const trc = kpi(alpha, 'total_cost_of_response');
    expect(trc.value).toBeCloseTo(800 + 240 + 500, 6);
    expect(trc.breakdowns.team).toEqual({ alpha: 1540 });
    // 1540 ÷ 2 tickets created.
    expect(kpi(alpha, 'cost_per_ticket').value).toBeCloseTo(770, 6);
  });

  it('answers CSAT from its tickets only and names none of the other team', () => {
    // S1 (K1, 5) and S2 (K2, 3): one of two answers is 4-5. S3 answers K4, outside the slice.
    expect(kpi(alpha, 'csat').value).toBe(0.5);
    // Relationship NPS answers carry no ticket, so a team slice has none.
    expect(kpi(alpha, 'nps').value).toBeNull();
    expect(Object.keys(kpi(alpha, 'solved_per_agent').breakdowns.agent ?? {}).sort()).toEqual(['a1', 'a2']);
    const text = JSON.stringify(alpha.kpis);
    for (const other of ['"b1"', '"b2"', '"beta"']) expect(text).not.toContain(other);
  });

  it('is written once per slice for every audience that has it', async () => {
    const finance = await getJson<KpiReport>(ctx.store, audienceReportKey('2026-10', 'alpha-finance'));
    expect(finance?.kpis).toEqual(alpha.kpis);
  });
});

describe('a channel slice', () => {
  it('has its tickets (K1, K4 are email) and says why agent time is not measured', () => {
    expect(kpi(email, 'tickets_created').value).toBe(2);
    const trc = email.kpis.total_cost_of_response!;
    expect(trc.status).toBe('not_measured');
    expect(trc.notMeasured).toBe('not measured in this slice: agents cannot be sliced by channel; agent_time cannot be sliced by channel');
  });
});

describe('a segment slice', () => {
  it("follows its customers: c2 and c3 are smb, so K2 and K3 and their customers' subscriptions", () => {
    expect(kpi(smb, 'tickets_created').value).toBe(2);
    // Active at the start (a subscription on 2026-09-30): c2 and c3. On 2026-10-31: c3 (pro from 10-10); c2 cancelled 10-20.
    expect(kpi(smb, 'customer_churn_rate').value).toBe(0.5);
    expect(smb.kpis.total_cost_of_response!.status).toBe('not_measured');
  });
});

describe('kpi_monthly', () => {
  it('holds rows for the whole lake and for each configured slice, once each, in every month it was built for', async () => {
    const rows = await ctx.engine.query(
      "select slice, month, count(*) as n from kpi_monthly where dimension = '' group by slice, month order by slice, month",
    );
    const months = (slice: string) => rows.filter((r) => r.slice === slice).map((r) => String(r.month));
    // alpha-lead and alpha-finance share one slice: its rows are measured once.
    expect([...new Set(rows.map((r) => String(r.slice)))]).toEqual(['', 'channel=email', 'segment=smb', 'team=alpha']);
    // The fixture has data from September 2026 (agent time) to October.
    for (const slice of ['', 'channel=email', 'segment=smb', 'team=alpha']) expect(months(slice)).toEqual(['2026-09', '2026-10']);
    // Alpha's October: K1 and K2 created (tickets_created 2 of the lake's 4).
    const [created] = await ctx.engine.query(
      "select slice, numerator from kpi_monthly where kpi = 'tickets_created' and dimension = '' and month = '2026-10' and slice = 'team=alpha'",
    );
    expect(created?.numerator).toBe(2);
  });
});

describe('a sliced evaluate on a built lake', () => {
  it('reads the months the marts hold from kpi_monthly: no KPI query runs over the curated rows for them', async () => {
    const sent: string[] = [];
    const engine = ctx.engine;
    const spied = new Proxy(engine, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          sent.push(`${String(property)} ${args.filter((a) => typeof a === 'string').join(' ')}`);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const before = alpha.kpis;
    await evaluate({ ...ctx, engine: spied, config: { ...ctx.config, audiences: ctx.config.audiences.slice(1, 2) } });
    // Each KPI query starts with its header comment, as measure() sends it.
    const header = (file: string) => readSql(file).split('\n')[0]!;
    const kpiStatements = sent.filter((s) => measureQueries.some(({ file }) => s.includes(header(file))));
    // Both reports (the lake's and alpha's) read October 2026 and September 2026 from kpi_monthly.
    // Only October 2025 (last year), a month the marts do not hold (the data starts in September
    // 2026), is measured from the curated rows: once per KPI query for each report.
    expect(kpiStatements).toHaveLength(2 * measureQueries.length);
    for (const statement of kpiStatements) expect(statement).toContain("'2025-10");
    // No work table is made any longer: the slice's 13 months are rows of kpi_monthly.
    expect(sent.filter((s) => s.startsWith('createTable'))).toEqual([]);
    expect(sent.some((s) => /from kpi_monthly\b[\s\S]*slice = 'team=alpha'/.test(s))).toBe(true);
    const again = (await getJson<KpiReport>(ctx.store, audienceReportKey('2026-10', 'alpha-lead')))!;
    expect(again.kpis).toEqual(before);
  });

  it('refuses a slice the marts were not built with, rather than read an empty history', async () => {
    const beta = { name: 'beta-lead', report: 'executive' as const, recipients: ['beta@example.com'], slice: { team: 'beta' } };
    await expect(evaluate({ ...ctx, config: { ...ctx.config, audiences: [beta] } })).rejects.toThrow(
      'kpi_monthly holds no rows of the slice team=beta: run the marts stage first',
    );
    await registerLake(ctx);
  });
});
