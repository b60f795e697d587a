import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { simpleParser, type ParsedMail } from 'mailparser';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.ts';

/**
 * Hostile data through to every output: agent names, teams, categories, segments and survey
 * comments full of HTML, script, spreadsheet formulas and 10,000-character strings (the golden
 * catalog with its labels replaced). Nothing executes, nothing breaks the layout, no cell
 * evaluates, and no e-mail passes Gmail's 102 KB clip.
 */
const fixture = path.resolve(import.meta.dirname, '../fixtures/golden-catalog');
const root = path.resolve(import.meta.dirname, '../../.tmp/hostile-data');
const lake = path.join(root, 'lake');
const executablePath = process.env.PULSE_CHROMIUM ?? '/usr/bin/chromium';

const script = '<script>alert("x")</script><img src=x onerror=alert(1)>';
const team = '<b onmouseover=alert(2)>alpha</b>';
const hostile = {
  script,
  hyperlink: '=HYPERLINK("http://evil.example","click")',
  dde: "+1+cmd|' /C calc'!A0",
  at: '@SUM(1+1)',
  minus: '-2+3',
  tab: '\t=1+1',
  long: `${'Ω'.repeat(5000)}${'x'.repeat(5000)}`,
};
const audiences = ['executive', 'finance', 'analyst', 'team-lead'];

/** Rewrites one fixture CSV, cell by cell. */
function rewrite(file: string, change: (row: Record<string, string>) => void): void {
  const rows = parse(readFileSync(path.join(root, file)), { columns: true }) as Record<string, string>[];
  rows.forEach(change);
  writeFileSync(path.join(root, file), stringify(rows, { header: true, columns: Object.keys(rows[0]!) }));
}

let browser: Browser;
const mails = new Map<string, ParsedMail>();

beforeAll(async () => {
  rmSync(root, { recursive: true, force: true });
  cpSync(fixture, root, { recursive: true });
  const teams: Record<string, string> = { alpha: team, beta: hostile.long };
  rewrite('agents.csv', (r) => {
    r.name =
      ({ a1: hostile.script, a2: hostile.hyperlink, b1: hostile.long, b2: hostile.dde } as Record<string, string>)[
        r.id!
      ] ?? r.name!;
    r.team = teams[r.team!] ?? r.team!;
  });
  rewrite('tickets.csv', (r) => {
    r.category =
      ({ K1: hostile.script, K2: hostile.hyperlink, K3: hostile.long, K4: hostile.at } as Record<string, string>)[
        r.id!
      ] ?? r.category!;
    r.team = teams[r.team!] ?? r.team!;
  });
  rewrite('costs.csv', (r) => {
    r.team = teams[r.team!] ?? r.team!;
  });
  rewrite('customers.csv', (r) => {
    r.segment =
      ({ c1: hostile.at, c2: hostile.minus, c3: hostile.long, c5: hostile.tab } as Record<string, string>)[r.id!] ??
      r.segment!;
  });
  rewrite('surveys.csv', (r) => {
    r.comment =
      (
        {
          S1: hostile.script,
          S2: `${hostile.hyperlink} refund`,
          S4: hostile.long,
          S7: `${hostile.dde} slow refund`,
        } as Record<string, string>
      )[r.id!] ?? r.comment!;
  });
  const config = JSON.parse(readFileSync(path.join(root, 'pulse.config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(
    path.join(root, 'pulse.config.json'),
    JSON.stringify({
      ...config,
      lake: './lake',
      // The fixture's records end early in October: this test is about labels, not staleness.
      definitions: { ...(config.definitions as object), staleAfterDays: 60 },
      audiences: [
        { name: 'executive', recipients: ['ceo@example.com'] },
        { name: 'finance', recipients: ['cfo@example.com'] },
        { name: 'analyst', recipients: ['data@example.com'] },
        { name: 'team-lead', report: 'executive', recipients: ['lead@example.com'], slice: { team } },
      ],
    }),
  );
  expect(
    await main(['run', '--config', path.join(root, 'pulse.config.json'), '--period', '2026-10', '--json'], {
      out: (_s: string) => undefined,
    }),
  ).toBe(0);
  for (const audience of audiences)
    mails.set(
      audience,
      await simpleParser(readFileSync(path.join(lake, 'reports/2026-10', audience, 'message.eml')), {
        keepCidLinks: true,
      }),
    );
  browser = await chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

describe('hostile labels in every message', () => {
  it.each(audiences)('%s: escaped, cut, under 102 KB', (audience) => {
    const html = String(mails.get(audience)!.html);
    expect(Buffer.byteLength(html)).toBeLessThan(102 * 1024);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('x'.repeat(200));
    // The text part carries no raw 10,000-character label either.
    expect(String(mails.get(audience)!.text)).not.toContain('x'.repeat(200));
  });

  it('shows the hostile labels as text, escaped, where the report names them', () => {
    const executive =
      String(mails.get('executive')!.html) + String(mails.get('finance')!.html) + String(mails.get('analyst')!.html);
    expect(executive).toContain('&lt;b onmouseover=alert(2)&gt;alpha&lt;/b&gt;');
  });

  it.each(audiences.flatMap((a) => [375, 600].map((w) => [a, w] as const)))(
    '%s at %i px: nothing runs, nothing runs off the side',
    async (audience, width) => {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await page.goto(pathToFileURL(path.join(lake, 'reports/2026-10', audience, 'preview.html')).href);
      await page.mouse.move(50, 200);
      const look = await page.evaluate<{ overflow: number; broken: number; handlers: string[] }>(`({
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      broken: [...document.images].filter((i) => !(i.complete && i.naturalWidth > 0)).length,
      handlers: [...document.querySelectorAll('*')].flatMap((e) => [...e.attributes].filter((a) => a.name.startsWith('on')).map((a) => e.tagName + ' ' + a.name)),
    })`);
      await page.close();
      expect(dialogs).toEqual([]);
      // No element the data made: the parsed page has no event-handler attribute anywhere.
      expect(look.handlers).toEqual([]);
      expect(look.overflow).toBeLessThanOrEqual(0);
      expect(look.broken).toBe(0);
    },
  );
});

const formulaStart = /^[=+\-@\t\r]/;

describe('hostile labels in every attachment', () => {
  it('no workbook cell holds a formula or a string that starts one; the whole label stays', async () => {
    const xlsx = mails.get('finance')!.attachments.find((a) => a.filename?.endsWith('.xlsx'))!;
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.content as unknown as ArrayBuffer);
    const strings: string[] = [];
    book.eachSheet((sheet) =>
      sheet.eachRow((row) =>
        row.eachCell((cell) => {
          expect(cell.type).not.toBe(ExcelJS.ValueType.Formula);
          if (typeof cell.value === 'string') strings.push(cell.value);
        }),
      ),
    );
    expect(strings.filter((s) => formulaStart.test(s))).toEqual([]);
    expect(strings).toContain(`'${hostile.at}`);
    expect(strings).toContain(team);
    // The workbook keeps the whole value (Excel's cell limit is 32,767 characters).
    expect(strings).toContain(hostile.long);
  });

  it('no CSV cell of any message starts a formula', () => {
    let cells = 0;
    for (const mail of mails.values()) {
      for (const file of mail.attachments.filter((a) => a.filename?.endsWith('.csv'))) {
        const rows = parse(file.content.toString('utf8').replace(/^\uFEFF/, ''), {
          relax_column_count: true,
        }) as string[][];
        for (const row of rows) {
          for (const cell of row) {
            cells += 1;
            // A plain number (a credit of −2,110) is a number to every spreadsheet, not a formula.
            if (/^-?\d+(\.\d+)?$/.test(cell)) continue;
            expect(formulaStart.test(cell), `${file.filename}: ${cell.slice(0, 40)}`).toBe(false);
          }
        }
      }
    }
    expect(cells).toBeGreaterThan(50);
  });
});
