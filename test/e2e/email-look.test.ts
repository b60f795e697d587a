import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { loadConfig } from '../../functions/config/load.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import { runStages } from '../../functions/stages/index.ts';

/**
 * How the executive e-mail looks, in headless Chromium (Debian's, installed by .ci/run): the
 * preview of the golden catalog's October report on a desktop and a phone width. Screenshots go
 * to .tmp/email-look/ for a human to look at.
 */
const executablePath = process.env.PULSE_CHROMIUM ?? '/usr/bin/chromium';
const fixture = path.resolve(import.meta.dirname, '../fixtures/golden-catalog/pulse.config.json');
const lake = path.resolve(import.meta.dirname, '../../.tmp/email-look-lake');
const shots = path.resolve(import.meta.dirname, '../../.tmp/email-look');
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(executablePath)) throw new Error(`Chromium not found at ${executablePath}: apt-get install -y chromium (or set PULSE_CHROMIUM)`);
  rmSync(lake, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  const loaded = await loadConfig(fixture);
  loaded.config.lake = lake;
  loaded.config.audiences = [{ name: 'executive', report: 'executive', recipients: ['ceo@example.com'] }];
  const ctx = await createLocalContext(loaded, parsePeriod('2026-10'), { quiet: true, now: new Date('2026-11-01T06:00:00Z') });
  await runStages(ctx, ['extract', 'curate', 'marts', 'evaluate', 'render']);
  await ctx.engine.close();
  browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  rmSync(lake, { recursive: true, force: true });
});

interface Look {
  chartLoaded: boolean;
  chartWidth: number;
  overflow: number;
  tableRight: number;
  title: string;
  heading: string | undefined;
}

/** Runs in the page (as source text, so the project's types stay free of the DOM's). */
const measureLook = `(() => {
  const chart = document.querySelector('img[alt^="Tickets created per month"]');
  const table = [...document.querySelectorAll('table')].find((t) => t.textContent.includes('Tickets created'));
  return {
    chartLoaded: Boolean(chart && chart.complete && chart.naturalWidth > 0),
    chartWidth: chart ? chart.getBoundingClientRect().width : 0,
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    tableRight: table ? table.getBoundingClientRect().right : Infinity,
    title: document.title,
    heading: document.body.innerText.split('\\n').find((line) => line.trim().length > 0),
  };
})()`;

const preview = () => pathToFileURL(path.join(lake, 'reports/2026-10/executive/preview.html')).href;

describe('the executive e-mail in a browser', () => {
  it.each([
    ['desktop', 1024],
    ['phone', 375],
  ])('on a %s (%i px) the chart loads and nothing runs off the side', async (name, width) => {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    await page.goto(preview());
    const look = await page.evaluate<Look>(measureLook);
    await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
    await page.close();
    expect(look.title).toBe('Customer service scorecard — October 2026');
    expect(look.heading).toBe('Customer service scorecard');
    expect(look.chartLoaded).toBe(true);
    expect(look.chartWidth).toBeGreaterThan(Math.min(width, 600) * 0.8);
    expect(look.chartWidth).toBeLessThanOrEqual(Math.min(width, 600));
    expect(look.overflow).toBeLessThanOrEqual(0);
    expect(look.tableRight).toBeLessThanOrEqual(width);
  });
});
