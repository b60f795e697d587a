/** A value one spreadsheet or CSV cell holds. */
export type CellValue = string | number | boolean | null;

/**
 * Characters that make Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP, "CSV
 * Injection"): `=`, `+`, `-`, `@`, and tab or carriage return, which some of them skip first.
 */
const formulaStart = /^[=+\-@\t\r]/;

/**
 * The one function every spreadsheet and CSV cell goes through. A string that could start a
 * formula gets a leading single quote, OWASP's advice, so it stays text in every spreadsheet
 * (`=HYPERLINK(…)` → `'=HYPERLINK(…)`). Numbers stay numbers, negative ones included: a number
 * cell is not text and never evaluates; a number that is not finite has no cell value.
 */
export function neutraliseCell(value: CellValue | undefined): CellValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value;
  return formulaStart.test(value) ? `'${value}` : value;
}
