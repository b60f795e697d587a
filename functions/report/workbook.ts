import ExcelJS from 'exceljs';
import { neutraliseCell, type CellValue } from './cells.ts';
import type { ColumnFormat, Table } from './table.ts';

/** Excel holds at most 32,767 characters in a cell (Excel specifications and limits). */
const excelCellLimit = 32767;
/** Column widths in characters: wide enough for the content, never wider than a screen's half. */
const minWidth = 8;
const maxWidth = 60;

/** Each currency's format, worked out once per process: building an Intl.NumberFormat is the costly part. */
const currencyFormats = new Map<string, string>();

/**
 * The currency's number format: the symbol before the amount where it is one sign ($, €, £),
 * the ISO code after it otherwise (`#,##0.00 "CHF"`), with the currency's own decimals (¥ none).
 */
export function currencyFormat(currency: string): string {
  let found = currencyFormats.get(currency);
  if (found === undefined) {
    const format = new Intl.NumberFormat('en-US', { style: 'currency', currency, currencyDisplay: 'narrowSymbol' });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    const number = digits > 0 ? `#,##0.${'0'.repeat(digits)}` : '#,##0';
    const symbol = format.formatToParts(1).find((p) => p.type === 'currency')?.value ?? currency;
    found = [...symbol].length === 1 && !/[A-Za-z]/.test(symbol) ? `"${symbol}"${number}` : `${number} "${currency}"`;
    currencyFormats.set(currency, found);
  }
  return found;
}

export const percentFormat = '0.0%';
const countFormat = '#,##0';
/** A month column's dates read "Oct 2026" in every locale's spreadsheet. */
export const monthFormat = 'mmm yyyy';

function numberFormat(format: ColumnFormat, currency: string): string | undefined {
  if (format === 'currency') return currencyFormat(currency);
  if (format === 'ratio') return percentFormat;
  if (format === 'count') return countFormat;
  if (format === 'month') return monthFormat;
  return undefined;
}

/** Roughly how many characters a value takes once formatted, for the column width. */
function displayLength(value: CellValue, format: ColumnFormat): number {
  if (value === null) return 0;
  if (format === 'month') return 8;
  if (typeof value === 'number') {
    const digits = Math.abs(value) >= 1 ? Math.floor(Math.log10(Math.abs(value))) + 1 : 1;
    const grouped = digits + Math.floor((digits - 1) / 3);
    if (format === 'currency') return grouped + 5;
    if (format === 'ratio') return grouped + 4;
    return grouped + (Number.isInteger(value) ? 1 : 4);
  }
  return String(value).length;
}

function cellValue(value: CellValue): CellValue {
  const cell = neutraliseCell(value);
  return typeof cell === 'string' && cell.length > excelCellLimit ? cell.slice(0, excelCellLimit) : cell;
}

/** A "YYYY-MM" month as the date of its first day (UTC, as exceljs writes dates), else undefined. */
function monthDate(value: CellValue): Date | undefined {
  const match = typeof value === 'string' ? /^(\d{4})-(\d{2})$/.exec(value) : null;
  return match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1)) : undefined;
}

export interface WorkbookOptions {
  /** Row 1 of every sheet: what the numbers are, for which period, in which time zone. */
  title: string;
  currency: string;
  /** Workbook properties; a fixed date makes the same data give the same bytes. */
  created: Date;
}

/**
 * Tables → an .xlsx workbook, one sheet each: the title in row 1, the header in row 2 (frozen,
 * with a filter), the rows below with the column's number format. Every cell is a value through
 * neutraliseCell; no cell holds a formula. Bytes out, no file I/O.
 */
export async function workbookBuffer(tables: Table[], options: WorkbookOptions): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Pulse';
  workbook.created = options.created;
  workbook.modified = options.created;
  for (const table of tables) {
    const sheet = workbook.addWorksheet(table.name, { views: [{ state: 'frozen', ySplit: 2 }] });
    const title = sheet.getCell(1, 1);
    title.value = cellValue(options.title);
    title.font = { bold: true, size: 13 };
    const header = sheet.getRow(2);
    table.columns.forEach((column, i) => {
      const cell = header.getCell(i + 1);
      cell.value = cellValue(column.header);
      cell.font = { bold: true };
      cell.alignment = { horizontal: column.format === 'text' ? 'left' : 'right', wrapText: false };
      cell.border = { bottom: { style: 'thin' } };
    });
    const addRow = (values: CellValue[]) => {
      const row = sheet.addRow(
        values.map((v, i) => (table.columns[i]?.format === 'month' ? (monthDate(v) ?? cellValue(v)) : cellValue(v))),
      );
      table.columns.forEach((column, i) => {
        const format = numberFormat(column.format, options.currency);
        const cell = row.getCell(i + 1);
        if (format && (typeof cell.value === 'number' || cell.value instanceof Date)) cell.numFmt = format;
        if (typeof values[i] === 'string' && column.format !== 'text') cell.alignment = { horizontal: 'right' };
      });
      return row;
    };
    for (const values of table.rows) addRow(values);
    if (table.total) {
      const row = addRow(table.total);
      row.eachCell({ includeEmpty: true }, (cell) => {
        cell.font = { bold: true };
        cell.border = { top: { style: 'thin' } };
      });
    }
    if (table.columns.length > 0)
      sheet.autoFilter = { from: { row: 2, column: 1 }, to: { row: 2, column: table.columns.length } };
    table.columns.forEach((column, i) => {
      let longest = column.header.length;
      for (const r of [...table.rows, ...(table.total ? [table.total] : [])])
        longest = Math.max(longest, displayLength(r[i] ?? null, column.format));
      sheet.getColumn(i + 1).width = Math.min(maxWidth, Math.max(minWidth, longest + 2));
    });
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
