import { mkdir, open, readdir, rename } from 'node:fs/promises';
import { totalmem } from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { globSync } from 'tinyglobby';
import type { QueryEngine, Row, TableLocation } from '../../ports/queryEngine.ts';
import type { ObjectStore } from '../../ports/objectStore.ts';
import type { LandedPart } from '../../ports/source.ts';
import { ident, readSql, sqlString } from '../../dialect/sqlText.ts';
import { OutOfTimeError } from '../../errors.ts';
import { faultPoint } from '../../runtime/faultPoint.ts';
import { writesPrefix } from '../../model/lakeKeys.ts';
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

/** Half the machine's memory in MiB: room for Node, the Parquet writer and the OS beside DuckDB. */
export function defaultMemoryLimit(): string {
  return `${Math.max(256, Math.floor(totalmem() / 2 ** 20 / 2))}MiB`;
}

/** The local query engine: embedded DuckDB over the lake folder, with macros standing in for Trino functions. */
export class DuckDbEngine implements QueryEngine {
  readonly dialect = 'duckdb';
  readonly readsExportsInPlace = true;
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly store: ObjectStore,
  ) {}

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
   * rather than running out of memory (docs/design.md, "Running on one machine").
   */
  static async open(
    store: ObjectStore,
    options: { threads?: number; memoryLimit?: string; spillDirectory?: string } = {},
  ): Promise<DuckDbEngine> {
    // DuckDB makes the spill folder when it first spills, but not its parent.
    if (options.spillDirectory) await mkdir(path.dirname(options.spillDirectory), { recursive: true });
    const instance = await DuckDBInstance.create(':memory:', {
      ...(options.threads ? { threads: String(options.threads) } : {}),
      memory_limit: options.memoryLimit ?? defaultMemoryLimit(),
      ...(options.spillDirectory ? { temp_directory: options.spillDirectory } : {}),
    });
    const connection = await instance.connect();
    // Timestamps in the lake are UTC; the business zone is applied explicitly in the SQL.
    await connection.run("set TimeZone = 'UTC'");
    await connection.run(readSql('dialect/duckdb_shims.sql'));
    return new DuckDbEngine(instance, connection, store);
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
      await this.connection.run(`create or replace view ${table.name} as ${body}`);
    }
  }

  async registerLanded(part: LandedPart, fields: readonly string[]): Promise<void> {
    this.inTime();
    const file = sqlString(globLiteral(this.store.locate(part.key)));
    const width = part.layout?.header.length ?? 0;
    const cells = Array.from({ length: width }, (_, i) => `c${i}`);
    if (part.format === 'csv') {
      const layout = part.layout!;
      // The export as it is: RFC 4180 quoting, the delimiter and line end extract found on every
      // line. Copied into a table, whose rowid is each row's place in the file (insertion order is
      // kept: test/integration/landed-order.test.ts holds it to that). A scan WITH ORDINALITY
      // would save the copy but runs on one thread: validation took 6.0 s against 1.9 + 2.0.
      const columns = cells.map((c) => `${sqlString(c)}: 'varchar'`).join(', ');
      await this.connection.run(
        `create or replace temp table landed_read as select * from read_csv(${file}, header = false, skip = ${layout.skipLines}, delim = ${sqlString(layout.delimiter)}, quote = '"', escape = '"', new_line = ${sqlString(layout.newline === '\r\n' ? '\\r\\n' : '\\n')}, all_varchar = true, auto_detect = false, columns = {${columns}}, max_line_size = 2097152, hive_partitioning = false)`,
      );
      // Every record is on one line (csvScan.ts), so row n starts on line n + the lines before it.
      await this.connection.run(
        `create or replace temp view landed_cells as select rowid + 1 as _row, rowid + 1 + ${layout.skipLines} as _line, cast(null as varchar) as _reject, cast(null as varchar) as _message, ${cells.join(', ')} from landed_read`,
      );
    } else if (part.format === 'cells') {
      await this.connection.run(
        `create or replace temp table landed_read as select * from read_json(${file}, format = 'newline_delimited', hive_partitioning = false, columns = {'_row': 'bigint', '_line': 'bigint', '_reject': 'varchar', '_message': 'varchar', 'c': 'varchar[]'})`,
      );
      await this.connection.run(
        `create or replace temp view landed_cells as select _row, _line, _reject, _message${cells.map((c, i) => `, c[${i + 1}] as ${c}`).join('')} from landed_read`,
      );
    } else {
      const columns = fields.map((f) => `${sqlString(f)}: 'varchar'`).join(', ');
      await this.connection.run(
        `create or replace temp table landed_read as select * from read_json(${file}, format = 'newline_delimited', hive_partitioning = false, columns = {${columns}})`,
      );
      await this.connection.run(
        `create or replace temp view landed_cells as select rowid + 1 as _row, rowid + 1 as _line, cast(null as varchar) as _reject, cast(null as varchar) as _message, * from landed_read`,
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
    await this.connection.run('drop table if exists landed_read');
  }

  async createTable(name: string, sql: string): Promise<void> {
    this.inTime();
    await this.connection.run(`create or replace temp table ${name} as ${sql}`);
  }

  async createView(name: string, sql: string): Promise<void> {
    this.inTime();
    await this.connection.run(`create or replace view ${name} as ${sql}`);
  }

  async query(sql: string): Promise<Row[]> {
    this.inTime();
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

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
