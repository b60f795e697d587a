import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ExcelJS from 'exceljs';
import { simpleParser } from 'mailparser';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDemoConfig } from '../../functions/cli/demo.ts';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { loadConfig, type LoadedConfig } from '../../functions/config/load.ts';
import { display } from '../../functions/kpis/format.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { KpiReport, MeasuredKpi } from '../../functions/kpis/types.ts';
import { renderExecutive } from '../../functions/report/executive/index.ts';
import { renderFinance } from '../../functions/report/finance/index.ts';
import type { InlineImage } from '../../functions/report/message.ts';
import { generateSampleCompany } from '../../functions/sample/demoCompany.ts';
import { reportKeyFor } from '../../functions/stages/evaluate.ts';
import { runStages } from '../../functions/stages/index.ts';
import { publishedFinanceInputs } from '../../functions/stages/publish.ts';

/**
 * How every message of the demo looks, in headless Chromium (Debian's, installed by .ci/run):
 * each audience's preview.html at 600 px (the e-mail's width) and 375 px (a phone), in light
 * and dark colour schemes, down to the size of the charts' text and the light of their pixels.
 * Screenshots go to .tmp/email-look/ for a human to look at.
 */
const executablePath = process.env.PULSE_CHROMIUM ?? '/usr/bin/chromium';
const root = path.resolve(import.meta.dirname, '../../.tmp/email-look-demo');
const shots = path.resolve(import.meta.dirname, '../../.tmp/email-look');
const period = '2026-10';
let browser: Browser;
let loaded: LoadedConfig;
/** Each audience's inline images as its renderer draws them, by file name: their design size and smallest text. */
const drawn = new Map<string, Map<string, InlineImage>>();

beforeAll(async () => {
  if (!existsSync(executablePath))
    throw new Error(`Chromium not found at ${executablePath}: apt-get install -y chromium (or set PULSE_CHROMIUM)`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  // The demo company, small: every entity, 13 months, the demo's config (every report, one slice).
  await generateSampleCompany({
    outDir: path.join(root, 'exports'),
    months: 13,
    ticketsPerMonth: 400,
    seed: 11,
    endMonth: period,
    timezone: 'Europe/Berlin',
  });
  loaded = await loadConfig(await writeDemoConfig(root, 'Europe/Berlin'));
  const ctx = await createLocalContext(loaded, parsePeriod(period), {
    quiet: true,
    now: new Date('2026-11-01T06:00:00Z'),
  });
  await runStages(ctx, ['extract', 'curate', 'marts', 'evaluate', 'render']);
  for (const audience of loaded.config.audiences) {
    const report = JSON.parse(
      readFileSync(path.join(root, 'lake', reportKeyFor(period, audience)), 'utf8'),
    ) as KpiReport;
    const options = { name: audience.name, kpis: audience.kpis };
    const message =
      audience.report === 'executive'
        ? await renderExecutive(report, options)
        : audience.report === 'finance'
          ? await renderFinance(report, await publishedFinanceInputs(ctx, audience), options)
          : undefined;
    drawn.set(audience.name, new Map((message?.images ?? []).map((i) => [i.filename, i])));
  }
  await ctx.engine.close();
  browser = await chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 300_000);

afterAll(async () => {
  await browser?.close();
});

interface Look {
  images: number;
  brokenImages: string[];
  overflow: number;
  text: string;
  cardBackground: string;
  cardText: string;
}

/** Runs in the page (as source text, so the project's types stay free of the DOM's). */
const measureLook = `(() => {
  const images = [...document.images];
  const card = document.querySelector('.p-card');
  const firstText = card ? [...card.querySelectorAll('div')].find((d) => d.childElementCount === 0 && d.textContent.trim()) : null;
  // The colour behind the text: the nearest ancestor that paints a background.
  let painted = firstText;
  while (painted && ['rgba(0, 0, 0, 0)', 'transparent'].includes(getComputedStyle(painted).backgroundColor)) painted = painted.parentElement;
  return {
    images: images.length,
    brokenImages: images.filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.getAttribute('src')),
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    text: document.body.innerText,
    cardBackground: painted ? getComputedStyle(painted).backgroundColor : '',
    cardText: firstText ? getComputedStyle(firstText).color : '',
  };
})()`;

interface ShownImage {
  src: string;
  /** CSS px, as laid out. */
  width: number;
  naturalWidth: number;
}

const measureImages = `[...document.images].map((i) => ({
  src: i.getAttribute('src'),
  width: i.getBoundingClientRect().width,
  naturalWidth: i.naturalWidth,
}))`;

/** Runs in the page: the mean relative luminance of a screenshot's pixels, the browser decoding the PNG. */
const meanLuminance = (png: Buffer) => `(async () => {
  const image = new Image();
  image.src = 'data:image/png;base64,${png.toString('base64')}';
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
  const lin = (c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  let sum = 0;
  for (let p = 0; p < pixels.length; p += 4)
    sum += 0.2126 * lin(pixels[p] / 255) + 0.7152 * lin(pixels[p + 1] / 255) + 0.0722 * lin(pixels[p + 2] / 255);
  return sum / (pixels.length / 4);
})()`;

/** Relative luminance of a CSS rgb() colour, 0 (black) to 1 (white). */
function luminance(css: string): number {
  const [r, g, b] = (css.match(/\d+(\.\d+)?/g) ?? ['0', '0', '0']).slice(0, 3).map((v) => Number(v) / 255);
  const lin = (c: number) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
}

/** The numbers a reader must see first, per kind of report, formatted as the report prints them. */
function headlineNumbers(report: KpiReport, kind: string): string[] {
  const shown = display({ currency: report.currency });
  const value = (id: string) => {
    const k = report.kpis[id] as MeasuredKpi;
    return shown.value(k.unit, k.value);
  };
  if (kind === 'finance') return [value('total_cost_of_response'), value('cost_per_ticket')];
  if (kind === 'analyst') return [shown.count(report.dataQuality.sources[0]!.rowsRead)];
  return [value('tickets_created'), value('first_reply_time'), value('csat')];
}

describe('the demo messages', () => {
  for (const audience of ['executive', 'finance', 'analyst', 'frontline']) {
    it(`${audience}: parses into HTML under 102 KB, a text part and inline images that all resolve`, async () => {
      const eml = readFileSync(path.join(root, 'lake/reports', period, audience, 'message.eml'));
      const mail = await simpleParser(eml, { keepCidLinks: true });
      const html = String(mail.html);
      expect(Buffer.byteLength(html)).toBeLessThan(102 * 1024);
      expect(String(mail.text).length).toBeGreaterThan(200);
      const cids = [...html.matchAll(/src="cid:([^"]+)"/g)].map((m) => m[1]);
      const inline = new Set(mail.attachments.filter((a) => a.contentDisposition === 'inline').map((a) => a.cid));
      for (const cid of cids) expect(inline.has(cid)).toBe(true);
      // Every inline image has alt text, and the whole message stays far under SES's 10 MB.
      expect([...html.matchAll(/<img [^>]*>/g)].every((m) => /alt="[^"]+"/.test(m[0]))).toBe(true);
      expect(eml.length).toBeLessThan(10 * 1024 * 1024);
      // Lines end in CRLF (RFC 5322), so the bytes an SMTP relay sends are the bytes stored.
      expect(eml.toString('latin1')).not.toMatch(/[^\r]\n/);
    });
  }

  it("finance: the workbook opens with its sheets and its TRC total equals kpis.json's to the cent", async () => {
    const mail = await simpleParser(readFileSync(path.join(root, 'lake/reports', period, 'finance/message.eml')));
    const xlsx = mail.attachments.find((a) => a.filename === `trc-${period}.xlsx`)!;
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.content as unknown as ArrayBuffer);
    expect(book.worksheets.map((s) => s.name)).toEqual([
      'Summary',
      'By category',
      'By channel',
      'By team',
      'By segment',
      'Category × channel × team',
      '13-month history',
    ]);
    const report = JSON.parse(readFileSync(path.join(root, 'lake/reports', period, 'kpis.json'), 'utf8')) as KpiReport;
    const trc = (report.kpis.total_cost_of_response as MeasuredKpi).value!;
    expect(Math.round(Number(book.getWorksheet('Summary')!.getCell('B3').value) * 100)).toBe(Math.round(trc * 100));
    expect(mail.attachments.map((a) => a.filename).filter((f) => f?.endsWith('.csv')).length).toBeGreaterThanOrEqual(5);
  });
});

const views = [600, 375].flatMap((width) => (['light', 'dark'] as const).map((scheme) => ({ width, scheme })));

describe('every message of the demo in a browser', () => {
  it('has an audience of every kind and a sliced one', () => {
    expect(new Set(loaded.config.audiences.map((a) => a.report))).toEqual(new Set(['executive', 'finance', 'analyst']));
    expect(loaded.config.audiences.some((a) => a.slice)).toBe(true);
  });

  for (const audience of ['executive', 'finance', 'analyst', 'frontline']) {
    it.each(views)(
      `${audience} at $width px, $scheme: images load, no overflow, headline numbers, chart text ≥ 11 px, no glare`,
      async ({ width, scheme }) => {
        const config = loaded.config.audiences.find((a) => a.name === audience)!;
        const report = JSON.parse(
          readFileSync(path.join(root, 'lake', reportKeyFor(period, config)), 'utf8'),
        ) as KpiReport;
        const page = await browser.newPage({ viewport: { width, height: 900 }, colorScheme: scheme });
        await page.goto(pathToFileURL(path.join(root, 'lake/reports', period, audience, 'preview.html')).href);
        const look = await page.evaluate<Look>(measureLook);
        await page.screenshot({ path: path.join(shots, `${audience}-${width}-${scheme}.png`), fullPage: true });
        // Each image as shown: its smallest text (its size in the drawing × the width shown ÷ the
        // width designed) and, in dark mode, the mean luminance of its pixels on the screen.
        const charts: {
          src: string;
          naturalWidth: number;
          designWidth: number;
          textPx: number | null;
          light?: number;
        }[] = [];
        for (const shown of await page.evaluate<ShownImage[]>(measureImages)) {
          const image = drawn.get(audience)!.get(decodeURIComponent(shown.src.replace(/^attachments\//, '')))!;
          const textPx = image.textPx === null ? null : (image.textPx * shown.width) / image.width;
          const screen = scheme === 'dark' ? await page.locator(`img[src="${shown.src}"]`).screenshot() : undefined;
          charts.push({
            src: shown.src,
            naturalWidth: shown.naturalWidth,
            designWidth: image.width,
            textPx,
            ...(screen ? { light: await page.evaluate<number>(meanLuminance(screen)) } : {}),
          });
        }
        await page.close();
        expect(look.brokenImages).toEqual([]);
        // The analyst's notes are tables and queries, no chart; the others each draw at least one.
        if (config.report !== 'analyst') expect(look.images).toBeGreaterThan(0);
        expect(look.overflow).toBeLessThanOrEqual(0);
        for (const number of headlineNumbers(report, config.report)) expect(look.text).toContain(number);
        // No chart is a bright box in dark mode: its pixels, on the dark card, stay dark on the whole.
        for (const c of charts) if (c.light !== undefined) expect(c.light, `${c.src} luminance`).toBeLessThan(0.15);
        // No chart's text is under 11 CSS px, and every image is drawn at twice the size it is designed for.
        const texts = charts.filter((c) => c.textPx !== null);
        if (config.report !== 'analyst') expect(texts.length).toBeGreaterThan(0);
        for (const c of texts) expect(c.textPx, `${c.src} text px`).toBeGreaterThanOrEqual(11);
        for (const c of charts) expect(c.naturalWidth, `${c.src} px`).toBe(2 * c.designWidth);
        // Dark mode turns the card dark and its text light; light mode keeps the white card.
        if (scheme === 'dark') {
          expect(luminance(look.cardBackground)).toBeLessThan(0.05);
          expect(luminance(look.cardText)).toBeGreaterThan(0.6);
        } else {
          expect(luminance(look.cardBackground)).toBeGreaterThan(0.9);
          expect(luminance(look.cardText)).toBeLessThan(0.1);
        }
      },
    );
  }
});
