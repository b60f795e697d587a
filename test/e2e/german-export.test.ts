import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.ts';
import type { KpiReport } from '../../functions/kpis/types.ts';

/**
 * A German export as a finance team sends it: `;` between fields, a decimal comma, dates as
 * 31.10.2026 14:05, amounts in EUR; tickets and a cost ledger, and no agents or agent time. Run
 * through every report and the workbook: nowhere may a 0 stand in for what was not measured.
 *
 * The ledger (worked by hand): September telephony 1.000,00; October telephony 2.500,50 and
 * tooling 1.234,55, so 3.735,05; and a labour row in month "2026-13" (no such month) whose amount
 * also carries a currency sign, rejected for one of the two whatever the reader makes of the sign.
 */
const dir = path.resolve(import.meta.dirname, '../../.tmp/german-export');
const lake = path.join(dir, 'lake');

const ticketLines = [
  'Ticket-Nr;Erstellt;Aktualisiert;Gelöst;Status;Kanal;Priorität',
  // 24 tickets in October, 12 solved; 6 in September, all solved.
  ...Array.from({ length: 24 }, (_, i) => {
    const day = String(1 + i).padStart(2, '0');
    const solved = i % 2 === 0 ? `${day}.10.2026 16:30` : '';
    return `T${100 + i};${day}.10.2026 09:15;${day}.10.2026 16:30;${solved};${solved ? 'solved' : 'open'};email;normal`;
  }),
  ...Array.from({ length: 6 }, (_, i) => {
    const day = String(10 + i).padStart(2, '0');
    return `S${i};${day}.09.2026 10:00;${day}.09.2026 12:00;${day}.09.2026 12:00;solved;phone;high`;
  }),
];

const costLines = [
  'Monat;Kostenstelle;Kategorie;Kanal;Team;Betrag;Währung',
  '2026-09;KST-1;telephony;phone;;1.000,00;EUR',
  '2026-10;KST-1;telephony;phone;;2.500,50;EUR',
  '2026-10;KST-2;tooling;;;1.234,55;EUR',
  '2026-13;KST-3;labor;;;45.678,90 €;EUR',
];

const config = {
  timezone: 'Europe/Berlin',
  currency: 'EUR',
  lake: './lake',
  sources: [
    {
      name: 'tickets',
      type: 'csv',
      entity: 'tickets',
      path: 'tickets.csv',
      delimiter: ';',
      decimal: ',',
      dateFormat: 'dd.MM.yyyy HH:mm',
      columns: {
        id: 'Ticket-Nr',
        created_at: 'Erstellt',
        updated_at: 'Aktualisiert',
        solved_at: 'Gelöst',
        status: 'Status',
        channel: 'Kanal',
        priority: 'Priorität',
      },
    },
    {
      name: 'kostenbuch',
      type: 'csv',
      entity: 'costs',
      path: 'kosten.csv',
      delimiter: ';',
      decimal: ',',
      dateFormat: 'dd.MM.yyyy',
      columns: {
        period: 'Monat',
        cost_center: 'Kostenstelle',
        category: 'Kategorie',
        channel: 'Kanal',
        team: 'Team',
        amount: 'Betrag',
        currency: 'Währung',
      },
    },
  ],
  audiences: [
    { name: 'executive', report: 'executive', recipients: ['ceo@example.com'] },
    { name: 'finance', report: 'finance', recipients: ['cfo@example.com'] },
    { name: 'analyst', report: 'analyst', recipients: ['analyst@example.com'] },
  ],
};

let report: KpiReport;
const mail: Record<string, { text: string; html: string }> = {};
const attachment = (name: string) => readFileSync(path.join(lake, 'reports/2026-10/finance/attachments', name));
const csvRows = (name: string): string[][] => parse(attachment(name), { bom: true });

/** "€0" as an amount (not the start of "€0.50" or "€05"): what must never stand for "not measured". */
// A zero in euros as de-DE prints it ("0 €", the EUR default locale) or as en-US would ("€0").
const euroZero = /(?<![\d.,])0\u00a0€|€0(?![\d.,])/;

beforeAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'tickets.csv'), `${ticketLines.join('\r\n')}\r\n`);
  writeFileSync(path.join(dir, 'kosten.csv'), `${costLines.join('\r\n')}\r\n`);
  writeFileSync(path.join(dir, 'pulse.config.json'), JSON.stringify(config, null, 2));
  const out: string[] = [];
  const code = await main(
    [
      'run',
      '--config',
      path.join(dir, 'pulse.config.json'),
      '--period',
      '2026-10',
      '--json',
      '--stages',
      'extract,curate,marts,evaluate,render',
    ],
    { out: (s) => void out.push(s) },
  );
  expect(code, out.join('')).toBe(0);
  report = JSON.parse(readFileSync(path.join(lake, 'reports/2026-10/kpis.json'), 'utf8'));
  for (const audience of ['executive', 'finance', 'analyst']) {
    const parsed = await simpleParser(readFileSync(path.join(lake, `reports/2026-10/${audience}/message.eml`)));
    mail[audience] = { text: parsed.text ?? '', html: String(parsed.html) };
  }
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a German export with a cost ledger and no agent time', () => {
  const labourWhy = 'needs agents, agent_time: no source provides them';

  it('reads the export: 30 tickets, 3 of the 4 cost rows', () => {
    const costs = report.dataQuality.sources.find((s) => s.entity === 'costs')!;
    expect(costs).toMatchObject({ rowsRead: 4, rowsAccepted: 3, rowsRejected: 1 });
    expect(report.dataQuality.sources.find((s) => s.entity === 'tickets')).toMatchObject({ rowsAccepted: 30 });
    expect(report.kpis.total_cost_of_response).toMatchObject({ status: 'not_measured' });
  });

  it('finance: the total and direct labour are not measured, with the reason, the ledger is 3,735', () => {
    for (const part of [mail.finance!.text, mail.finance!.html]) {
      expect(part).toContain('Total cost of response is not measured: needs agents, agent_time');
      expect(part).toContain(`Direct labour not measured (${labourWhy}) · cost ledger 3.735\u00a0€`);
      expect(part).toContain(`The tables below hold the cost ledger only: direct labour is not measured`);
      expect(part).not.toMatch(euroZero);
    }
  });

  it('finance: service margin is not measured rather than revenue €0 − cost', () => {
    for (const part of [mail.finance!.text, mail.finance!.html]) {
      expect(part).toMatch(/Service margin is not measured: needs agents, agent_time, [a-z_, ]*subscriptions/);
      expect(part).not.toContain('−3.735\u00a0€');
    }
  });

  it('finance: a month before the first cost record is "–"', () => {
    const lines = mail.finance!.text.split('\n');
    expect(lines.find((l) => l.startsWith('Aug 2026 '))).toMatch(/^Aug 2026 +–$/);
    expect(lines.find((l) => l.startsWith('Sep 2026 '))).toMatch(/^Sep 2026 +1\.000\u00a0€/);
  });

  it('finance: names the rejected cost row and its reason', () => {
    const costs = report.dataQuality.sources.find((s) => s.entity === 'costs')!;
    const [reason] = Object.keys(costs.rejectedByReason);
    expect(reason).toMatch(/^bad_/);
    for (const part of [mail.finance!.text, mail.finance!.html])
      expect(part).toContain(`1 cost row was rejected and is not in these numbers (kostenbuch: ${reason} × 1)`);
  });

  it('the workbook and the CSVs: not measured and "–", never 0, and the ledger to the cent', async () => {
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(attachment('trc-2026-10.xlsx') as unknown as ArrayBuffer);
    const summary = book.getWorksheet('Summary')!;
    const row = (label: string) => summary.getRow(summary.getColumn(1).values.indexOf(label)).values as unknown[];
    expect(row('Total cost of response').slice(2, 9)).toEqual(Array(7).fill('not measured'));
    expect(row('Direct labour').slice(2, 9)).toEqual(Array(7).fill('not measured'));
    expect(row('Direct labour')[9]).toBe(`Not measured: ${labourWhy}`);
    // The ledger: October 3,735.05; September 1,000.00; October 2025 before the first record.
    expect(row('Cost ledger').slice(2, 5)).toEqual([3735.05, 1000, '–']);
    const history = csvRows('trc-2026-10-history.csv');
    expect(history.slice(1, 12).map((r) => r.at(-1))).toEqual(Array(11).fill('–'));
    expect(history.slice(12, 14).map((r) => r.at(-1))).toEqual(['1000', '3735.05']);
    expect(history.at(-1)!.at(-1)).toBe('4735.05');
    expect(
      csvRows('trc-2026-10-summary.csv')
        .find((r) => r[0] === 'Direct labour')!
        .slice(1, 8),
    ).toEqual(Array(7).fill('not measured'));
  });

  it('executive and analyst: cost KPIs say not measured, never €0', () => {
    for (const audience of ['executive', 'analyst']) {
      const { text, html } = mail[audience]!;
      expect(text, audience).not.toMatch(euroZero);
      expect(html, audience).not.toMatch(euroZero);
    }
    expect(mail.analyst!.text).toContain(`cost_per_ticket · not measured: ${labourWhy}`);
    const costs = 'Total cost of response, Cost per ticket, Cost per resolution, Cost per contact minute';
    expect(mail.executive!.text).toContain(`Not measured: ${costs} (${labourWhy})`);
    expect(mail.executive!.html).toContain(`Not measured: ${costs} (${labourWhy}).`);
  });
});
