import { stringify } from 'csv-stringify/sync';
import { neutraliseCell } from './cells.ts';
import type { Table } from './table.ts';

/** Money to the cent, ratios to six decimals: what a CSV reader sees is what the workbook shows. */
function csvNumber(value: number, format: Table['columns'][number]['format']): number {
  if (format === 'currency') return Math.round(value * 100) / 100;
  if (format === 'ratio') return Math.round(value * 1e6) / 1e6;
  return value;
}

/**
 * A table as RFC 4180 CSV: header row, the rows and the total row last, CRLF line ends, fields quoted where needed, every cell
 * through neutraliseCell. UTF-8 with a BOM, so Excel reads labels like "×" or "€" as written.
 */
export function csvTable(table: Table): Buffer {
  const rows = [...table.rows, ...(table.total ? [table.total] : [])].map((row) =>
    row.map((value, i) => {
      const cell = neutraliseCell(value);
      return typeof cell === 'number' ? csvNumber(cell, table.columns[i]?.format ?? 'count') : cell;
    }),
  );
  const text = stringify([table.columns.map((c) => neutraliseCell(c.header)), ...rows], {
    record_delimiter: 'windows',
    cast: { boolean: (b) => (b ? 'true' : 'false') },
  });
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
}
