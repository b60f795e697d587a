import { mkdir, mkdtemp, open, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { globSync } from 'tinyglobby';
import type { QueryEngine, Row, TableLocation } from '../../ports/queryEngine.ts';
import type { ObjectStore } from '../../ports/objectStore.ts';
import type { LandedPart } from '../../ports/source.ts';
import { ident, readSql, sqlString } from '../../dialect/sqlText.ts';
import { OutOfTimeError } from '../../errors.ts';
import { faultPoint } from '../../runtime/faultPoint.ts';
import { spillPrefix, workPrefix, writesPrefix } from '../../model/lakeKeys.ts';
import { randomUUID } from 'node:crypto';

function toPlain(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'object' && 'toDouble' in value && typeof value.toDouble === 'function') {
    return (value as { toDouble(): number }).toDouble();
  }
  return String(value);
}

interface ProfileNode {
  extra_info?: Record<string, unknown>;
  children?: ProfileNode[];
}

/**
 * A path as a literal inside a DuckDB glob. DuckDB reads `*`, `?` and `[…]` as patterns wherever
 * they stand, in a folder's name too, so a lake under `x[1]` would match nothing: each becomes a
 * class of its one character (`[[]`, `[*]`, `[?]`), which matches only itself.
 */
export function globLiteral(file: string): string {
  return file.replace(/[[*?]/g, (c) => `[${c}]`);
}

/** A path back from its glob literal (a scan's glob in DuckDB's profile). */
function fromGlobLiteral(glob: string): string {
  return glob.replace(/\[([[*?])\]/g, '$1');
}

const parquetMagic = 'PAR1';

/**
 * Why a file cannot be a whole Parquet file, or undefined: a Parquet file starts with `PAR1` and
 * ends with its footer's length and `PAR1` again, which a writer stopped part-way never wrote.
 */
async function parquetFault(file: string): Promise<string | undefined> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size < 12) return `${size} bytes, too short to be a Parquet file`;
    const head = Buffer.alloc(4);
    const tail = Buffer.alloc(4);
    await handle.read(head, 0, 4, 0);
    await handle.read(tail, 0, 4, size - 4);
    if (head.toString('latin1') !== parquetMagic) return `${size} bytes, not a Parquet file`;
    if (tail.toString('latin1') !== parquetMagic)
      return `${size} bytes with no Parquet footer: its write was cut short`;
    return undefined;
  } finally {
    await handle.close();
  }
}

/** Whether a process of this machine is running (signal 0 tests it; EPERM: running, as another user). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the work folders (pulse-engine-<pid>-…) of engines whose process has ended without
 * closing them (killed: docs/design.md, "Fault points"); a running one's, such as a `pulse query`
 * beside a run, are left alone.
 */
async function sweepWork(root: string): Promise<void> {
  for (const name of await readdir(root).catch(() => [])) {
    const pid = /^pulse-engine-(\d+)-/.exec(name)?.[1];
    if (pid && !running(Number(pid))) await rm(path.join(root, name), { recursive: true, force: true });
  }
}

/** Half the machine's memory in MiB: room for Node, the Parquet writer and the OS beside DuckDB. */
export function defaultMemoryLimit(): string {
  return `${Math.max(256, Math.floor(totalmem() / 2 ** 20 / 2))}MiB`;
}

/**
 * How the engine's work files are compressed: they are written once and read a few times, then
 * deleted, so the fastest codec wins (LZ4 wrote a 1.1 M-row export in 24 s, ZSTD in 31 s).
 */
const workCompression = 'lz4';

/** The local query engine: embedded DuckDB over the lake folder, with macros standing in for Trino functions. */
export class DuckDbEngine implements QueryEngine {
  readonly dialect = 'duckdb';
  readonly readsExportsInPlace = true;
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly store: ObjectStore,
    /** Where this engine makes its folder of work files (createTable's tables, the landed part). */
    private readonly workRoot: string,
  ) {}

  /** The engine's own folder of work files, made when first needed and removed at close. */
  private work: string | undefined;

  /** The work tables (createTable) by name, each the Parquet file its view reads. */
  private readonly tables = new Map<string, string>();
  /** Numbers the work files, so a table made again never writes the file its old view reads. */
  private files = 0;

  /** No statement starts from then on (a stage given a deadline, as a Lambda is). */
  private deadline: number | undefined;

  stopAt(deadline: number): void {
    this.deadline = deadline;
  }

  /** DuckDB's statements are short and local: the deadline is kept between them, none is interrupted. */
  private inTime(): void {
    if (this.deadline !== undefined && Date.now() >= this.deadline) {
      const at = new Date(this.deadline).toISOString();
      throw new OutOfTimeError(`the stage's deadline (${at}) has passed: no statement is started`);
    }
  }

  /**
   * DuckDB with a memory limit (default: half the machine's memory, DuckDB's own being 80%) and,
   * given `spillDirectory`, room to spill there what does not fit, so a large export slows down
   * rather than running out of memory (docs/design.md, "Running on one machine"). Its work
   * tables are Parquet files in a folder of its own under `workDirectory` (default: the system's
   * temporary folder), read back through views, so they take no memory while unread.
   */
  static async open(
    store: ObjectStore,
    options: { threads?: number; memoryLimit?: string; spillDirectory?: string; workDirectory?: string } = {},
  ): Promise<DuckDbEngine> {
    // DuckDB makes the spill folder when it first spills, but not its parent.
    if (options.spillDirectory) await mkdir(path.dirname(options.spillDirectory), { recursive: true });
    if (options.workDirectory) await sweepWork(options.workDirectory);
    const instance = await DuckDBInstance.create(':memory:', {
      ...(options.threads ? { threads: String(options.threads) } : {}),
      memory_limit: options.memoryLimit ?? defaultMemoryLimit(),
      ...(options.spillDirectory ? { temp_directory: options.spillDirectory } : {}),
    });
    const connection = await instance.connect();
    // Timestamps in the lake are UTC; the business zone is applied explicitly in the SQL.
    await connection.run("set TimeZone = 'UTC'");
    await connection.run(readSql('dialect/duckdb_shims.sql'));
    return new DuckDbEngine(instance, connection, store, options.workDirectory ?? tmpdir());
  }

  /**
   * The engine of a folder lake (pulse run, pulse query): it spills to `<lake>/_scratch/spill`
   * and writes its work tables under `<lake>/_scratch/work`, on the lake's disk, never in the
   * lake's data (docs/design.md, "Running on one machine").
   */
  static onLake(store: ObjectStore, options: { threads?: number; memoryLimit?: string } = {}): Promise<DuckDbEngine> {
    return DuckDbEngine.open(store, {
      ...options,
      spillDirectory: store.locate(spillPrefix),
      workDirectory: store.locate(workPrefix),
    });
  }

  async registerTables(tables: TableLocation[]): Promise<void> {
    this.inTime();
    for (const table of tables) {
      const files = (await this.store.list(table.prefix)).filter((k) => k.endsWith('.parquet'));
      const typed =
        table.columns.length > 0
          ? table.columns.map((c) => `cast(${ident(c.name)} as ${c.sqlType}) as ${ident(c.name)}`)
          : ['*'];
      let body: string;
      if (files.length === 0 && table.emptyAs) {
        body = table.emptyAs;
      } else if (files.length === 0) {
        const month = table.partitioned ? ', cast(null as varchar) as month' : '';
        body = `select ${table.columns.map((c) => `cast(null as ${c.sqlType}) as ${ident(c.name)}`).join(', ')}${month} where false`;
      } else {
        const glob = sqlString(`${globLiteral(this.store.locate(table.prefix))}/**/*.parquet`);
        const hive = table.partitioned
          ? ", hive_partitioning = true, hive_types = {'month': varchar}"
          : ', hive_partitioning = false';
        const month = table.partitioned && table.columns.length > 0 ? ', month' : '';
        body = `select ${typed.join(', ')}${month} from read_parquet(${glob}, union_by_name = true${hive})`;
      }
      if (table.rows) {
        const month = table.partitioned ? ', month' : '';
        body = `select ${table.rows.columns.map(ident).join(', ')}${month} from (${body}) as stored where ${table.rows.where}`;
      }
      await this.connection.run(`create or replace view ${table.name} as ${body}`);
    }
  }

  /** A new file in the engine's work folder, for one work table. */
  private async workFile(name: string): Promise<string> {
    if (!this.work) {
      await mkdir(this.workRoot, { recursive: true });
      this.work = await mkdtemp(path.join(this.workRoot, `pulse-engine-${process.pid}-`));
    }
    this.files += 1;
    return path.join(this.work, `${name}-${this.files}.parquet`);
  }

  /**
   * A SELECT's rows written to a work file, in their order, and `name` a view over it, read back
   * in that order; `numbered`, with each row's place in it (from 0) as `file_row_number`. On
   * disk, not in an in-memory table, whose pages would hold the engine's memory until spilled.
   * Row groups of 16,384 rows: a reader holds one per thread, and a validated row is wide.
   */
  private async materialise(name: string, sql: string, numbered = false): Promise<void> {
    const file = await this.workFile(name);
    const copy = `copy (${sql}) to ${sqlString(file)} (format parquet, compression ${workCompression}, row_group_size 16384)`;
    // Numbered rows are in their source's order. Read by several threads, an export's blocks end
    // out of order and wait in memory for the ones before them, without bound below the memory
    // limit (626 MB at 1.1 M tickets, 362 MB at 300 k); one thread streams them (205 MB), and on
    // two busy cores it was faster too (16.3 s against 21.5 s).
    if (numbered) await this.onOneThread(() => this.connection.run(copy));
    else await this.connection.run(copy);
    await this.connection.run(
      `create or replace temp view ${name} as select * from read_parquet(${sqlString(globLiteral(file))}, ` +
        `file_row_number = ${numbered}, hive_partitioning = false)`,
    );
    await this.dropWork(name);
    this.tables.set(name, file);
  }

  /** Runs `work` with DuckDB on one thread, then gives it back the threads it had. */
  private async onOneThread(work: () => Promise<unknown>): Promise<void> {
    const [setting] = (await this.connection.runAndReadAll("select current_setting('threads') as n")).getRows();
    await this.connection.run('set threads = 1');
    try {
      await work();
    } finally {
      await this.connection.run(`set threads = ${Number(setting?.[0])}`);
    }
  }

  /** Forgets a work table's file (its view is dropped or replaced by the caller). */
  private async dropWork(name: string): Promise<void> {
    const file = this.tables.get(name);
    if (!file) return;
    this.tables.delete(name);
    await rm(file, { force: true });
  }

  async registerLanded(part: LandedPart, fields: readonly string[]): Promise<void> {
    this.inTime();
    const file = sqlString(globLiteral(this.store.locate(part.key)));
    const width = part.layout?.header.length ?? 0;
    const cells = Array.from({ length: width }, (_, i) => `c${i}`);
    // The part as read is copied to a work file first, in the file's order (DuckDB keeps the
    // insertion order: test/integration/landed-order.test.ts holds it to that), so each row's
    // place in the file is its place in the copy, and the validation reads the copy on every
    // thread. Validating a scan WITH ORDINALITY would save the copy but runs all on one thread.
    if (part.format === 'csv') {
      const layout = part.layout!;
      // The export as it is: RFC 4180 quoting, the delimiter and line end extract found on every line.
      const columns = cells.map((c) => `${sqlString(c)}: 'varchar'`).join(', ');
      await this.materialise(
        'landed_read',
        `select * from read_csv(${file}, header = false, skip = ${layout.skipLines}, delim = ${sqlString(layout.delimiter)}, quote = '"', escape = '"', new_line = ${sqlString(layout.newline === '\r\n' ? '\\r\\n' : '\\n')}, all_varchar = true, auto_detect = false, columns = {${columns}}, max_line_size = 2097152, hive_partitioning = false)`,
        true,
      );
      // Every record is on one line (csvScan.ts), so row n starts on line n + the lines before it.
      await this.connection.run(
        `create or replace temp view landed_cells as select file_row_number + 1 as _row, file_row_number + 1 + ${layout.skipLines} as _line, cast(null as varchar) as _reject, cast(null as varchar) as _message, ${cells.join(', ')} from landed_read`,
      );
    } else if (part.format === 'cells') {
      await this.materialise(
        'landed_read',
        `select * from read_json(${file}, format = 'newline_delimited', hive_partitioning = false, columns = {'_row': 'bigint', '_line': 'bigint', '_reject': 'varchar', '_message': 'varchar', 'c': 'varchar[]'})`,
        true,
      );
      await this.connection.run(
        `create or replace temp view landed_cells as select _row, _line, _reject, _message${cells.map((c, i) => `, c[${i + 1}] as ${c}`).join('')} from landed_read`,
      );
    } else {
      const columns = fields.map((f) => `${sqlString(f)}: 'varchar'`).join(', ');
      await this.materialise(
        'landed_read',
        `select * from read_json(${file}, format = 'newline_delimited', hive_partitioning = false, columns = {${columns}})`,
        true,
      );
      await this.connection.run(
        `create or replace temp view landed_cells as select file_row_number + 1 as _row, file_row_number + 1 as _line, cast(null as varchar) as _reject, cast(null as varchar) as _message, * exclude (file_row_number) from landed_read`,
      );
    }
    const columns = part.layout?.columns ?? {};
    const select = fields.map(
      (f) =>
        `${part.format === 'records' ? ident(f) : columns[f] === undefined ? 'cast(null as varchar)' : `c${columns[f]}`} as ${ident(f)}`,
    );
    await this.connection.run(
      `create or replace temp view landed as select ${sqlString(part.name)} as _file, _row, _line, _reject, _message${select.map((s) => `, ${s}`).join('')} from landed_cells`,
    );
  }

  async releaseLanded(): Promise<void> {
    await this.connection.run('drop view if exists landed');
    await this.connection.run('drop view if exists landed_cells');
    await this.connection.run('drop view if exists landed_read');
    await this.dropWork('landed_read');
  }

  /** Written to a work file and read back through a view (materialise); `drop table <name>` drops both. */
  async createTable(name: string, sql: string): Promise<void> {
    this.inTime();
    await this.materialise(name, sql);
  }

  async createView(name: string, sql: string): Promise<void> {
    this.inTime();
    await this.connection.run(`create or replace view ${name} as ${sql}`);
  }

  async query(sql: string): Promise<Row[]> {
    this.inTime();
    if (await this.droppedWork(sql)) return [];
    const reader = await this.connection.runAndReadAll(sql);
    const columns = reader.columnNames();
    return reader.getRows().map((values) => {
      const row: Row = {};
      columns.forEach((name, i) => {
        row[name] = toPlain(values[i]);
      });
      return row;
    });
  }

  /** The Parquet files a query read, from DuckDB's JSON profile: the bench shows partition pruning with it. */
  async filesRead(sql: string): Promise<string[]> {
    const reader = await this.connection.runAndReadAll(`explain (analyze, format json) ${sql}`);
    const profile = JSON.parse(String(reader.getRows()[0]?.[1] ?? '{}')) as ProfileNode;
    const files = new Set<string>();
    const visit = (node: ProfileNode) => {
      const names = node.extra_info?.['Filename(s)'];
      if (typeof names !== 'string') return;
      for (const raw of names.split(',')) {
        const name = raw.trim();
        // A scan that kept every file is reported by its glob (a table's folder, then /**/*.parquet):
        // expand it to the files it read, the folder a path (cwd), never a pattern.
        const [folder, pattern] = name.split('/**/');
        if (folder !== undefined && pattern !== undefined)
          for (const file of globSync(`**/${pattern}`, { cwd: fromGlobLiteral(folder), absolute: true }))
            files.add(file);
        else if (name.endsWith('.parquet')) files.add(name);
      }
    };
    const walk = (node: ProfileNode) => {
      visit(node);
      for (const child of node.children ?? []) walk(child);
    };
    walk(profile);
    return [...files].sort();
  }

  async run(sql: string): Promise<void> {
    if (await this.droppedWork(sql)) return;
    await this.connection.run(sql);
  }

  /**
   * Written whole, then moved into place (docs/design.md, "Commits"): DuckDB writes the rows under
   * _scratch/writes/<write>/, where no table reads, and only once the statement has finished is
   * each month it replaces emptied and the written month renamed into it. A kill or a full disk
   * during the statement leaves the lake's months as they were (and the next write sweeps what it
   * left); a reader never sees a part DuckDB has not finished.
   */
  async writeParquet(
    sql: string,
    prefix: string,
    options: { partitionByMonth: boolean; months?: string[] },
  ): Promise<void> {
    this.inTime();
    const base = prefix.replace(/\/$/, '');
    // One run writes at a time (docs/design.md, "One run per lake"): what is here, a stopped write left.
    await this.store.deletePrefix(writesPrefix);
    const staged = `${writesPrefix}${randomUUID().slice(0, 8)}`;
    const dir = this.store.locate(staged);
    await mkdir(dir, { recursive: true });
    faultPoint(`write:${prefix}`);
    if (options.partitionByMonth) {
      await this.connection.run(
        `copy (${sql}) to ${sqlString(dir)} (format parquet, compression zstd, partition_by (month), overwrite_or_ignore, filename_pattern 'part_{i}')`,
      );
    } else {
      await this.connection.run(
        `copy (${sql}) to ${sqlString(`${dir}/part_0.parquet`)} (format parquet, compression zstd)`,
      );
    }
    if (!options.months) {
      // The whole table replaced: its folder swapped for the one written.
      await this.store.deletePrefix(`${base}/`);
      faultPoint(`switch:${prefix}`);
      await mkdir(path.dirname(this.store.locate(base)), { recursive: true });
      await rename(dir, this.store.locate(base));
      return;
    }
    // Each month named is replaced by what the write put there, or emptied if it wrote no row there.
    const written = new Set(await readdir(dir));
    await mkdir(this.store.locate(base), { recursive: true });
    for (const place of new Set([...options.months.map((m) => `month=${m}`), ...written])) {
      await this.store.deletePrefix(`${base}/${place}`);
      faultPoint(`switch:${prefix}`);
      if (written.has(place)) await rename(path.join(dir, place), this.store.locate(`${base}/${place}`));
    }
    await this.store.deletePrefix(staged);
  }

  async tornParts(prefix: string): Promise<{ key: string; reason: string }[]> {
    const torn: { key: string; reason: string }[] = [];
    for (const key of (await this.store.list(prefix)).filter((k) => k.endsWith('.parquet'))) {
      const reason = await parquetFault(this.store.locate(key));
      if (reason) torn.push({ key, reason });
    }
    return torn;
  }

  /**
   * `drop table|view [if exists] <name>` of a work table (createTable) drops its view and its
   * file, as the Athena engine drops its CTAS tables; true when it was one.
   */
  private async droppedWork(sql: string): Promise<boolean> {
    const drop = /^\s*drop\s+(table|view)\s+(if\s+exists\s+)?([a-z_][a-z0-9_]*)\s*;?\s*$/i.exec(sql);
    if (!drop || !this.tables.has(drop[3]!)) return false;
    await this.connection.run(`drop view if exists ${drop[3]!}`);
    await this.dropWork(drop[3]!);
    return true;
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
    if (this.work) await rm(this.work, { recursive: true, force: true });
  }
}
