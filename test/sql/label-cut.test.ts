import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KpiReport, MeasuredKpi } from '../../functions/kpis/types.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { reportKey } from '../../functions/stages/evaluate.ts';
import { registerCurated } from '../../functions/stages/lake.ts';
import { buildFixtureLake } from '../support/lake.ts';

/**
 * kpis.json stays under 1 MB whatever the data (issue 21: a 520 KB cell made it 2.5 MB): labels
 * from the data are cut there as the e-mail cuts them; the whole value stays in the lake.
 */
const fixture = path.resolve(import.meta.dirname, '../fixtures/golden-catalog');
/** A 520 KB cell: one "word", no space to break it. */
const huge = `Billing${'x'.repeat(520 * 1024 - 7)}`;
let dir = '';
let ctx: StageContext;
let report: KpiReport;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pulse-label-cut-'));
  cpSync(fixture, dir, { recursive: true });
  const config = JSON.parse(readFileSync(path.join(dir, 'pulse.config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(path.join(dir, 'pulse.config.json'), JSON.stringify({ ...config, lake: './lake' }));
  // K1's category, and two survey comments (a term needs two mentions), hold the 520 KB cell.
  const tickets = readFileSync(path.join(dir, 'tickets.csv'), 'utf8');
  writeFileSync(path.join(dir, 'tickets.csv'), tickets.replace(',email,billing,', `,email,${huge},`));
  const surveys = readFileSync(path.join(dir, 'surveys.csv'), 'utf8');
  writeFileSync(
    path.join(dir, 'surveys.csv'),
    surveys
      .replace('Fast and friendly refund', huge)
      .replace('slow refund process', huge),
  );
  const built = await buildFixtureLake(path.join(dir, 'pulse.config.json'), '2026-10', {
    now: new Date('2026-11-02T06:00:00Z'),
  });
  ctx = built.ctx;
  report = built.report;
}, 180_000);

afterAll(async () => {
  await ctx?.engine.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a 520 KB cell', () => {
  it('leaves kpis.json under 1 MB, its label cut to 60 characters as the e-mail cuts it', async () => {
    const bytes = (await ctx.store.get(reportKey('2026-10')))!.length;
    expect(bytes).toBeLessThan(1024 * 1024);
    const categories = Object.keys((report.kpis.tickets_created as MeasuredKpi).breakdowns.category ?? {});
    const cut = categories.find((c) => c.startsWith('Billingxxx'));
    expect(cut).toBe(`Billing${'x'.repeat(52)}…`);
    for (const kpi of Object.values(report.kpis))
      if (kpi.status !== 'not_measured')
        for (const members of Object.values(kpi.breakdowns))
          for (const member of Object.keys(members ?? {})) expect([...member].length).toBeLessThanOrEqual(64);
  });

  it('stays whole in the lake', async () => {
    await registerCurated(ctx);
    const [ticket] = await ctx.engine.query("select length(category) as n from tickets where id = 'K1'");
    expect(Number(ticket!.n)).toBe(520 * 1024);
    const [survey] = await ctx.engine.query('select max(length(comment)) as n from surveys');
    expect(Number(survey!.n)).toBe(520 * 1024);
  });
});
