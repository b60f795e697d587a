import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { loadConfig } from '../../functions/config/load.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import type { DeliverySummary } from '../../functions/stages/deliver.ts';
import { runStages } from '../../functions/stages/index.ts';

/** The whole local pipeline on the golden catalog, through render and deliver to the outbox. */
const fixture = path.resolve(import.meta.dirname, '../fixtures/golden-catalog/pulse.config.json');
const lake = path.resolve(import.meta.dirname, '../../.tmp/e2e-lake');
let ctx: StageContext;

async function context(resend = false): Promise<StageContext> {
  const loaded = await loadConfig(fixture);
  loaded.config.lake = lake;
  loaded.config.audiences = [
    { name: 'executive', report: 'executive', recipients: ['ceo@example.com', 'coo@example.com'] },
  ];
  return createLocalContext(loaded, parsePeriod('2026-10'), {
    quiet: true,
    resend,
    now: new Date('2026-11-01T06:00:00Z'),
  });
}

const outbox = () => readdirSync(path.join(lake, 'outbox/2026-10/executive')).sort();

beforeAll(async () => {
  rmSync(lake, { recursive: true, force: true });
  ctx = await context();
  await runStages(ctx);
});

afterAll(async () => {
  await ctx.engine.close();
  rmSync(lake, { recursive: true, force: true });
});

describe('the pipeline end to end', () => {
  it('writes kpis.json, message.eml and preview.html where the README says', () => {
    for (const key of [
      'reports/2026-10/kpis.json',
      'reports/2026-10/executive/message.eml',
      'reports/2026-10/executive/preview.html',
    ]) {
      expect(readFileSync(path.join(lake, key)).length).toBeGreaterThan(100);
    }
  });

  it('renders a message that parses: HTML under 102 KB, a text part, inline images that resolve', async () => {
    const mail = await simpleParser(readFileSync(path.join(lake, 'reports/2026-10/executive/message.eml')), {
      keepCidLinks: true,
    });
    expect(mail.subject).toBe('Customer service scorecard — October 2026');
    const html = String(mail.html);
    expect(Buffer.byteLength(html)).toBeLessThan(102 * 1024);
    expect(mail.text).toContain('Tickets created');
    const cids = [...html.matchAll(/src="cid:([^"]+)"/g)].map((m) => m[1]);
    expect(cids.length).toBeGreaterThan(0);
    for (const cid of cids) {
      const image = mail.attachments.find((a) => a.cid === cid);
      expect(image?.content.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    }
    // The data-quality footer.
    expect(mail.text).toMatch(/tickets\/tickets: 4 read, 4 accepted, 0 rejected/);
  });

  it('delivers each recipient one copy however often the period is re-run; --resend sends again', async () => {
    expect(outbox()).toEqual(['ceo@example.com.eml', 'coo@example.com.eml']);
    const again = (await runStages(ctx, ['deliver']))[0]!.result as DeliverySummary[];
    expect(again.map((d) => d.status)).toEqual(['already_sent', 'already_sent']);
    const ledger = readdirSync(path.join(lake, 'ledger/2026-10/executive'));
    expect(ledger).toHaveLength(2);
    const resendCtx = await context(true);
    const resent = (await runStages(resendCtx, ['deliver']))[0]!.result as DeliverySummary[];
    await resendCtx.engine.close();
    expect(resent.map((d) => d.status)).toEqual(['sent', 'sent']);
  });

  it('re-running a month extracts nothing new and rebuilds the same numbers', async () => {
    const before = JSON.parse(readFileSync(path.join(lake, 'reports/2026-10/kpis.json'), 'utf8'));
    const outcomes = await runStages(ctx, ['extract', 'curate', 'marts', 'evaluate']);
    const extracted = outcomes[0]!.result as { rawKeys: string[] }[];
    expect(extracted.every((e) => e.rawKeys.length === 0)).toBe(true);
    const after = JSON.parse(readFileSync(path.join(lake, 'reports/2026-10/kpis.json'), 'utf8'));
    expect(after.kpis).toEqual(before.kpis);
    expect(after.dataQuality.sources).toEqual(before.dataQuality.sources);
  });

  it('returns small summaries from every stage, never the data (Step Functions passes at most 256 KB)', async () => {
    const outcomes = await runStages(ctx);
    for (const outcome of outcomes)
      expect(Buffer.byteLength(JSON.stringify(outcome.result)), outcome.stage).toBeLessThan(16 * 1024);
    expect(outcomes.find((o) => o.stage === 'evaluate')?.result).toEqual({
      reportKey: 'reports/2026-10/kpis.json',
      kpis: 49,
      notMeasured: 0,
      slices: [],
    });
  });
});
