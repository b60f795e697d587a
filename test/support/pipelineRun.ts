import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { createLocalContext, type LocalContextOptions } from '../../functions/cli/wiring.ts';
import { loadConfig } from '../../functions/config/load.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { kpiMonthlyMart, marts, registerMarts, sqlParams } from '../../functions/stages/lake.ts';

/**
 * The whole-catalog fixture as a pipeline run for the fault and determinism suites: a lake of
 * its own, two audiences (three recipients) delivered to the outbox, and what a run leaves that
 * must not depend on how it got there (kpis.json but its generatedAt, every mart's rows, the
 * copies each recipient got).
 */
export const catalogFixture = path.resolve(import.meta.dirname, '../fixtures/golden-catalog/pulse.config.json');

export async function catalogRun(lake: string, options: LocalContextOptions = {}): Promise<StageContext> {
  const loaded = await loadConfig(catalogFixture);
  loaded.config.lake = lake;
  loaded.config.audiences = [
    { name: 'executive', report: 'executive', recipients: ['ceo@example.com', 'coo@example.com'] },
    { name: 'finance', report: 'finance', recipients: ['cfo@example.com'] },
  ];
  return createLocalContext(loaded, parsePeriod('2026-10'), {
    quiet: true,
    now: new Date('2026-11-01T06:00:00Z'),
    ...options,
  });
}

export function freshLake(lake: string): string {
  rmSync(lake, { recursive: true, force: true });
  return lake;
}

/** kpis.json as text, without the one field that names when it was written. */
export function kpisText(lake: string): string {
  const report = JSON.parse(readFileSync(path.join(lake, 'reports/2026-10/kpis.json'), 'utf8')) as {
    generatedAt?: string;
  };
  delete report.generatedAt;
  return JSON.stringify(report, null, 2);
}

/** kpis.json as data, without the times it was written and its sources were last extracted: runs differ in them. */
export function kpisUntimed(lake: string): unknown {
  const text = readFileSync(path.join(lake, 'reports/2026-10/kpis.json'), 'utf8');
  return JSON.parse(text, (key, value: unknown) =>
    key === 'generatedAt' || key === 'lastExtractAt' ? '<time>' : value,
  );
}

/** Every mart's rows, sorted. */
export async function martRows(ctx: StageContext): Promise<Record<string, unknown[]>> {
  await registerMarts(ctx, sqlParams(ctx.config, ctx.period));
  const out: Record<string, unknown[]> = {};
  for (const name of [...marts.map((m) => m.name), kpiMonthlyMart])
    out[name] = await ctx.engine.query(`select * from ${name} order by all`);
  return out;
}

/** The outbox: recipient file → copies (a re-send would add a variant file). */
export function outboxCopies(lake: string): Record<string, number> {
  const root = path.join(lake, 'outbox/2026-10');
  const copies: Record<string, number> = {};
  for (const audience of readdirSync(root)) {
    if (!statSync(path.join(root, audience)).isDirectory() || audience.startsWith('_')) continue;
    for (const file of readdirSync(path.join(root, audience))) {
      const recipient = `${audience}/${file.replace(/(-[^@]*)?\.eml$/, '')}`;
      copies[recipient] = (copies[recipient] ?? 0) + 1;
    }
  }
  return copies;
}
