import { once } from 'node:events';
import { stringify, type Stringifier } from 'csv-stringify';
import type { ObjectStore } from '../ports/objectStore.ts';
import type { RejectedRow } from '../ports/source.ts';
import { neutraliseCell } from '../report/cells.ts';

/** What Pulse adds after the export's own columns: where the row was and why it was rejected. */
const reasonColumns = ['file', 'line', 'field', 'reason', 'message'] as const;

/**
 * The rejected rows of one source and batch as a CSV people open in a spreadsheet (docs/design.md,
 * "Bad input"): the export's original columns, then file, line, field, reason and message. Every
 * cell goes through neutraliseCell, so a rejected `=HYPERLINK(…)` stays text in Excel. Written as
 * it streams, with flat memory; a part ends where a row brings columns the open part lacks (a
 * source whose files have different headers), and the next part's columns include the old ones.
 * Nothing is written for a source without rejects.
 */
export class RejectsCsvWriter {
  private csv: Stringifier | undefined;
  private upload: Promise<void> | undefined;
  private columns: string[] = [];
  private part = 0;
  readonly keys: string[] = [];

  constructor(
    private readonly store: ObjectStore,
    private readonly keyOf: (part: number) => string,
  ) {}

  async write(row: RejectedRow): Promise<void> {
    const original = this.originalCells(row);
    const needed = original.keyed
      ? Object.keys(original.keyed)
      : original.cells.map((_, i) => this.columns[i] ?? `column_${i + 1}`);
    const missing = needed.filter((c) => !this.columns.includes(c));
    if (!this.csv || missing.length > 0) {
      await this.close();
      this.open([...this.columns, ...missing]);
    }
    const cells = original.keyed
      ? this.columns.map((c) => original.keyed![c] ?? null)
      : this.columns.map((_, i) => original.cells[i] ?? null);
    const { file, line } = row.location;
    const record = [...cells, file, line, row.field, row.reason, row.message].map((v) => neutraliseCell(v));
    if (!this.csv!.write(record)) await once(this.csv!, 'drain');
  }

  async close(): Promise<void> {
    if (!this.csv) return;
    this.csv.end();
    await this.upload;
    this.csv = undefined;
    this.upload = undefined;
    this.part += 1;
  }

  /** A row rejected for its values keeps header → cell; one of the wrong width only its cells. */
  private originalCells(row: RejectedRow): { keyed?: Record<string, string>; cells: string[] } {
    if (row.raw === null) return { cells: [] };
    if (Array.isArray(row.raw)) return { cells: row.raw };
    return { keyed: row.raw, cells: [] };
  }

  private open(columns: string[]): void {
    this.columns = columns;
    // An export's own column named like one of ours keeps its name; ours gets a leading underscore.
    const added = reasonColumns.map((c) => (columns.includes(c) ? `_${c}` : c));
    // BOM and CRLF: Excel then reads UTF-8 labels ("é", "€") as written (as functions/report/csvTable.ts).
    const csv = stringify({ bom: true, record_delimiter: 'windows' });
    const key = this.keyOf(this.part);
    this.keys.push(key);
    this.upload = this.store.putStream(key, csv);
    csv.write([...columns, ...added].map((h) => neutraliseCell(h)));
    this.csv = csv;
  }
}
