/** Where a row came from, so every error names the file, row and field. */
export interface RowLocation {
  file: string;
  /** Data row number, 1-based, header excluded. */
  row: number;
  /** Line in the file where the row starts (quoted fields may span lines). */
  line: number;
}

/** A bad value in a field that does not place the row: the field took its default or null. */
export interface FieldIssue {
  field: string;
  /** Reason code: bad_number, unknown_value, out_of_range, inconsistent, … */
  reason: string;
}

export interface AcceptedRow {
  ok: true;
  record: Record<string, unknown>;
  location: RowLocation;
  /** The row's field issues (DESIGN.md, "Bad input"); absent when it has none. */
  issues?: FieldIssue[];
}

export interface RejectedRow {
  ok: false;
  /** Reason code: missing_required, bad_timestamp, unknown_value, column_count, … */
  reason: string;
  field: string | null;
  message: string;
  location: RowLocation;
  raw: Record<string, string> | string[] | null;
}

export type SourceRow = AcceptedRow | RejectedRow;

/** One unit of a pull that is made durable together with the watermark that covers it. */
export interface SourceChunk {
  rows: SourceRow[];
  /** Opaque state to save once the rows of this chunk (and all before it) are written. */
  watermark?: unknown;
  /**
   * The re-readable unit the rows since the last watermark came from (an export file). A unit
   * read again replaces what it counted before, so the totals count each row of the source once.
   */
  unit?: string;
  /** A line for the run's log: a file skipped as already read, or read again, and why. */
  note?: string;
}

/**
 * A source of one canonical entity: export files locally, a CRM's API in the cloud. It reads
 * from the saved watermark and yields chunks; extract saves each chunk's watermark only after
 * the chunk is written.
 */
export interface Source {
  readonly name: string;
  readonly entity: string;
  /** `reextract`: read everything again from the start, whatever the watermark says. */
  pull(watermark: unknown, options?: { reextract?: boolean }): AsyncIterable<SourceChunk>;
}
