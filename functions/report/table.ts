import type { CellValue } from './cells.ts';

/**
 * A table as the workbook and the CSV writer take it: one header row, rows of plain values, and
 * per column how a number reads (money in the config's currency, a ratio as a percentage, a
 * month "YYYY-MM" as a date in the workbook).
 */
export type ColumnFormat = 'text' | 'currency' | 'ratio' | 'count' | 'month';

export interface TableColumn {
  header: string;
  format: ColumnFormat;
}

export interface Table {
  /** Sheet name (at most 31 characters, none of []:*?/\) and the CSV file's suffix. */
  name: string;
  /** File-name part of the CSV: lowercase, no spaces. */
  slug: string;
  columns: TableColumn[];
  rows: CellValue[][];
  /** The last row, set apart (bold, a rule above): the column totals. */
  total?: CellValue[];
}
