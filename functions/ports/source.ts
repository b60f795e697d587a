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
  /** The row's field issues (docs/design.md, "Bad input"); absent when it has none. */
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

/**
 * How an export's rows are laid out: its header, the delimiter, the lines before its first data
 * row, and which column each canonical field is read from (the source's `columns` mapping bound
 * to the header). Curate reads a landed part with it.
 */
export interface CsvLayout {
  header: string[];
  delimiter: string;
  /** Lines before the first data row: an Excel `sep=` line, the header. */
  skipLines: number;
  /** CRLF or LF, the same on every line (a file landed as is). */
  newline: '\n' | '\r\n';
  /** canonical field → index of its column in the header. */
  columns: Record<string, number>;
  /**
   * What the landing scan found in a file landed as is: whether any field starts or ends with
   * whitespace, or holds a control character. Curate skips the trim or the search when one is
   * false; absent, it does both.
   */
  padded?: boolean;
  controls?: boolean;
}

/**
 * A part of raw/ as extract landed it, and how curate reads it back: `csv`, an export file as
 * exported (gzipped); `cells`, an export split by Pulse's reader (NDJSON of `_row`, `_line`,
 * `_reject`, `_message` and the cells `c`); `records`, an API's records (NDJSON of canonical
 * names and string values).
 */
export interface LandedPart {
  key: string;
  format: 'csv' | 'cells' | 'records';
  /** The re-readable unit (an export file), '' for an API's pages. */
  unit: string;
  /** The unit as messages name it. */
  name: string;
  /** The extract that landed it: a unit landed by a later extract replaces what it counted before. */
  landing: string;
  layout?: CsvLayout;
}

/** A row the reader split (or could not): its cells, or why it is rejected. */
export interface CellRow {
  row: number;
  line: number;
  cells?: string[];
  /** Reason code of a row that could not be split: column_count, malformed_csv, bad_encoding. */
  reject?: string;
  message?: string;
}

/**
 * One step of a pull. An export the engine reads as it is lands as `file` (its bytes copied into
 * raw/); one it cannot (another encoding, CR line ends, an unclosed quote, a quoted line break)
 * lands as `cells`, split by Pulse's reader; an API's pages land as `records` of canonical names
 * and string values. Nothing is typed or validated here: curate does that in the engine.
 */
export interface SourceChunk {
  /** The re-readable unit (an export file) the data comes from; a unit landed again replaces what it counted before. */
  unit?: string;
  /** How the unit is named in messages (the file, relative to the config). */
  name?: string;
  /** An export file that lands as it is: its path on this machine. */
  file?: { path: string; layout: CsvLayout };
  cells?: { rows: CellRow[]; layout: CsvLayout };
  records?: Record<string, string | null>[];
  /** Opaque state to save once the data of this chunk (and all before it) is durable. */
  watermark?: unknown;
  /** A line for the run's log: a file skipped as already read, or read again, and why. */
  note?: string;
}

/**
 * A source of one canonical entity: export files locally, a CRM's API in the cloud. It reads
 * from the saved watermark and yields chunks; extract saves each chunk's watermark only after
 * the chunk is written.
 */
/** How curate reads a source's text: its value maps, the zone of zone-less times, its date and number notation. */
export interface ReadingRules {
  values: Record<string, Record<string, string>>;
  timezone?: string | undefined;
  dateFormat?: string | undefined;
  decimal?: '.' | ',' | undefined;
}

export interface PullOptions {
  reextract?: boolean;
  /** Whether an export the engine reads in place may land as it is (QueryEngine.readsExportsInPlace); else it is split into cells. */
  landAsIs?: boolean;
}

export interface Source {
  readonly name: string;
  readonly entity: string;
  /** How curate reads what this source lands (docs/design.md, "Bad input"). */
  readonly reading: ReadingRules;
  /**
   * `full`: each landing is the whole truth of the source's records, and curate removes those it
   * no longer holds (docs/design.md, "Full exports"); `incremental` (absent): records are kept.
   */
  readonly mode?: 'incremental' | 'full';
  /** API sources: how many records a landed part gathers before its watermark is saved (extract); none: every watermark at once. */
  readonly checkpointRecords?: number;
  /** API sources: the requests sent so far and the time spent waiting on rate limits, for the progress line. */
  activity?(): { requests: number; waitedMs: number } | undefined;
  /** `reextract`: read everything again from the start, whatever the watermark says. */
  pull(watermark: unknown, options?: PullOptions): AsyncIterable<SourceChunk>;
}
