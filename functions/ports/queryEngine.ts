import type { LandedPart } from './source.ts';

/** A SQL engine over the lake: Athena in the cloud, DuckDB locally. */
export type Row = Record<string, string | number | boolean | null>;

export interface TableLocation {
  /** Table name the SQL refers to. */
  name: string;
  /** Lake key prefix of its Parquet files (curated/tickets/, marts/volume_daily/). */
  prefix: string;
  /** SQL columns to present when the table has no files yet. */
  columns: { name: string; sqlType: string }[];
  partitioned: boolean;
  /** Definition to use when the prefix holds no files yet (a mart computed from nothing). */
  emptyAs?: string;
  /**
   * Only these columns (and `month`, if partitioned) of the rows the condition keeps: a mart's
   * rows of one slice, under the mart's own name (functions/stages/lake.ts, registerStoredMarts).
   */
  rows?: { columns: string[]; where: string };
}

export interface QueryEngine {
  /** The SQL dialect it runs: the generated validation SQL is spelt for it (dialect/ruleDialect.ts). */
  readonly dialect: 'duckdb' | 'trino';
  /**
   * Whether an export that fits (csvScan.ts) is read where it landed, with each row's place in
   * the file: DuckDB does; Athena's CSV SerDe gives no row order, so extract splits every
   * export into numbered cells for it.
   */
  readonly readsExportsInPlace: boolean;
  /** Makes tables over Parquet prefixes queryable by name (views locally, Glue tables in the cloud). */
  registerTables(tables: TableLocation[]): Promise<void>;
  /**
   * Makes one landed raw part queryable, untyped: `landed` (what the validation SQL reads:
   * `_file`, `_row`, `_line`, `_reject`, `_message` and a varchar column per field it names) and
   * `landed_cells` (`_row` and the export's own cells `c0`, `c1`, …, for the rejects CSV).
   */
  registerLanded(part: LandedPart, fields: readonly string[]): Promise<void>;
  /** Drops what registerLanded made, once the part is validated. */
  releaseLanded(): Promise<void>;
  /** A table holding a SELECT's rows, for what is read several times (validated rows). */
  createTable(name: string, sql: string): Promise<void>;
  /** A named view over a SELECT (intermediate models). */
  createView(name: string, sql: string): Promise<void>;
  query(sql: string): Promise<Row[]>;
  /**
   * Runs a SELECT and writes its rows as ZSTD Parquet under the prefix, partitioned by `month` if
   * asked; replaces what the written partitions held. `months`, when given, is every month the
   * rows fall in (its partitions are replaced, no other is touched); without it, the whole prefix is.
   */
  writeParquet(sql: string, prefix: string, options: { partitionByMonth: boolean; months?: string[] }): Promise<void>;
  /**
   * The Parquet parts under a prefix that a write left unfinished: shorter than a Parquet file can
   * be, or without the `PAR1` magic at both ends (a Parquet file's footer is written last).
   * Every reader of the table would fail on one; the stages that own the table repair it
   * (docs/design.md, "Commits"). The local engine looks; in S3 an object is written whole or
   * not at all, so Athena's engine has none to find and does not implement it.
   */
  tornParts?(prefix: string): Promise<{ key: string; reason: string }[]>;
  /**
   * Makes the Parquet files a stage wrote under `from` (curate's staged fold) the months of the
   * table at `prefix`, each month switched in one step. An engine whose tables read manifests
   * (Athena's) commits them so; without it the stage empties each month and moves the files in.
   */
  commitStaged?(from: string, prefix: string, months: readonly string[] | 'all'): Promise<void>;
  /**
   * Deletes what the table's writes left that no manifest names (a write stopped before its
   * commit), adopting the months written before manifests; says what it did, or undefined. Run by
   * the stage that owns the table before it reads it. Only an engine whose tables read manifests has it.
   */
  sweepWrites?(prefix: string): Promise<string | undefined>;
  /**
   * The time (epoch ms) by which the engine must be idle: from then on it starts no statement,
   * and one still running is stopped, so nothing writes into the lake after the stage has
   * stopped. Both throw OutOfTimeError. Set by the stages that resume from saved progress
   * (curate, marts), from the Lambda's deadline; the others run to the Lambda's end.
   */
  stopAt?(deadline: number): void;
  close(): Promise<void>;
}
