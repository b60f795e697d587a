import { readdir, readFile, rm, mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  DuckDBInstance,
  DuckDBTypeId,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { TrinoSQL } from 'dt-sql-parser';
import { duckType, type CatalogColumn, type CatalogTable, type Workgroup } from './catalog.ts';
import { sqlString } from '../../../functions/dialect/sqlText.ts';
import { partitioning } from './projection.ts';
import { parseUri, type LakeS3, type S3Object } from './s3.ts';
import { installTrinoFunctions, significant, tokenize, toDuckDb, trinoRefusal, type Token } from './trino.ts';

/**
 * Runs one Athena statement on DuckDB over the lake: SELECT, CTAS, UNLOAD, INSERT INTO and
 * DROP TABLE, with the rules Athena enforces on each (cited where enforced). The lake is read
 * and written only through `LakeS3`.
 */
export class AthenaFailure extends Error {
  constructor(
    message: string,
    /**
     * AthenaError.ErrorCategory: 1 system, 2 user, 3 other
     * (https://docs.aws.amazon.com/athena/latest/ug/error-reference.html).
     */
    readonly category: 1 | 2 | 3 = 2,
    /** AthenaError.ErrorType: 1000 user error, 1003 DDL task failed, 100 internal service error (same page). */
    readonly type = 1000,
  ) {
    super(message);
  }
}

export interface Column {
  name: string;
  /** Trino's name of the type, as ColumnInfo.Type gives it. */
  type: string;
  precision: number;
  scale: number;
}

export interface Outcome {
  statementType: 'DML' | 'DDL' | 'UTILITY';
  substatementType: string;
  columns: Column[];
  rows: (string | null)[][];
  dataScannedInBytes: number;
}

export interface EngineOptions {
  s3: LakeS3;
  tables: CatalogTable[];
  workgroup: Workgroup;
  /** The workgroup's query results location, s3://bucket/prefix/. */
  results: string;
  database: string;
  /** A folder of its own for writing before upload. */
  scratch: string;
  /** The clock partition projection reads NOW from. */
  now: () => Date;
}

/** At most this many partitions per CTAS, INSERT INTO or UNLOAD. */
const maxPartitions = 100;
const trino = new TrinoSQL();
const lower = (t: Token) => t.text.toLowerCase();
/** An identifier token's name: unquoted and lower-cased, as Athena's catalog keeps it. */
const nameOf = (t: Token) =>
  (t.kind === 'quoted' || t.kind === 'backtick' ? t.text.slice(1, -1) : t.text).toLowerCase();
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** The keys of the objects `targets` name, by bucket. */
function groupByBucket(targets: { bucket: string; prefix: string }[]): Map<string, string[]> {
  const byBucket = new Map<string, string[]>();
  for (const t of targets) {
    const keys = byBucket.get(t.bucket) ?? [];
    keys.push(t.prefix);
    byBucket.set(t.bucket, keys);
  }
  return byBucket;
}

/** The deepest folder (ending in /, or '' for the bucket) that holds every key. */
function commonFolder(keys: string[]): string {
  let common = keys[0]!.slice(0, keys[0]!.lastIndexOf('/') + 1);
  for (const key of keys) {
    while (!key.startsWith(common)) common = common.slice(0, common.slice(0, -1).lastIndexOf('/') + 1);
  }
  return common;
}

export class StandInEngine {
  private connection!: DuckDBConnection;
  private instance!: DuckDBInstance;
  private readonly tables = new Map<string, CatalogTable>();
  /** The listing each table's view was last built from, so an unchanged prefix is not rebuilt. */
  private readonly built = new Map<string, string>();

  constructor(private readonly options: EngineOptions) {
    for (const table of options.tables) this.tables.set(table.name, table);
  }

  async open(): Promise<void> {
    this.instance = await DuckDBInstance.create(':memory:');
    this.connection = await this.instance.connect();
    await this.connection.run("set TimeZone = 'UTC'");
    // Names resolve as in Athena's catalog: awsdatacatalog.<database>.<table>, the database by default.
    await this.connection.run("attach ':memory:' as awsdatacatalog");
    await this.connection.run(`create schema awsdatacatalog.${ident(this.options.database)}`);
    await this.connection.run(`use awsdatacatalog.${ident(this.options.database)}`);
    await installTrinoFunctions(this.connection);
  }

  interrupt(): void {
    this.connection.interrupt();
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  /** The stand-in's catalog, for the Glue API. */
  table(name: string): CatalogTable | undefined {
    return this.tables.get(name.toLowerCase());
  }

  allTables(): CatalogTable[] {
    return [...this.tables.values()];
  }

  async execute(id: string, sql: string): Promise<Outcome> {
    const tokens = tokenize(sql);
    const words = significant(tokens);
    // One statement per query: StartQueryExecution's QueryString is "the SQL query statements to
    // be executed", and Athena runs one
    // (https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html).
    const semicolon = words.findIndex((t) => t.text === ';');
    if (semicolon >= 0 && semicolon < words.length - 1)
      throw new AthenaFailure('INVALID_INPUT: Only one sql statement is allowed.');
    if (semicolon === words.length - 1) return this.execute(id, sql.slice(0, sql.lastIndexOf(';')));
    const [first, second, third] = words.map(lower);
    if (first === 'drop' && second === 'table') return this.dropTable(words);
    if (first === 'create' && second === 'external') return this.hiveDdl(words, 'CREATE EXTERNAL TABLE');
    if (first === 'alter' || first === 'msck')
      return this.hiveDdl(words, `${first!.toUpperCase()} ${second?.toUpperCase() ?? ''}`);
    if (first === 'create' && (second === 'table' || (second === 'or' && third === 'replace')))
      return this.ctas(id, tokens);
    if (first === 'unload') return this.unload(id, tokens);
    if (first === 'insert' && second === 'into') return this.insert(id, tokens);
    if (first === 'select' || first === 'with' || first === '(' || first === 'values') return this.select(sql, tokens);
    const what = `${(first ?? '').toUpperCase()} ${(second ?? '').toUpperCase()}`;
    throw new AthenaFailure(`NOT_SUPPORTED: the Athena stand-in does not run ${what} statements`);
  }

  // --- SELECT -----------------------------------------------------------------------------

  private async select(sql: string, tokens: Token[]): Promise<Outcome> {
    this.checkTrinoSyntax(sql);
    const scanned = await this.prepareTables(tokens);
    const reader = await this.run(toDuckDb(sql));
    const types = reader.columnTypes();
    const columns = reader.columnNames().map((name, i) => trinoColumn(name, types[i]!));
    const rows = reader.getRows().map((row) => row.map((v, i) => formatValue(v, types[i]!)));
    return { statementType: 'DML', substatementType: 'SELECT', columns, rows, dataScannedInBytes: scanned };
  }

  /**
   * Trino parses every DML statement before it runs: DuckDB-only syntax (`::`, QUALIFY, GROUP BY
   * ALL, backquoted names) fails there with a syntax error.
   * https://trino.io/docs/current/language/reserved.html and https://trino.io/docs/current/sql/select.html
   */
  private checkTrinoSyntax(sql: string): void {
    const backquoted = tokenize(sql).find((t) => t.kind === 'backtick');
    if (backquoted)
      throw new AthenaFailure(
        `SYNTAX_ERROR: line 1:1: backquoted identifiers are not supported; use double quotes to quote identifiers`,
      );
    const [error] = trino.validate(sql);
    if (error) throw new AthenaFailure(`SYNTAX_ERROR: line ${error.startLine}:${error.startColumn}: ${error.message}`);
    const refusal = trinoRefusal(sql);
    if (refusal) throw new AthenaFailure(refusal);
  }

  private async run(duckSql: string) {
    try {
      return await this.connection.runAndReadAll(duckSql);
    } catch (error) {
      throw asAthenaFailure(error as Error);
    }
  }

  /**
   * Builds a view per catalog table the statement names, over the table's objects as S3 lists
   * them now (fetched into the local cache): only objects in a projected partition are read.
   * Returns the bytes of the objects read (DataScannedInBytes, roughly: Athena counts columns read).
   */
  private async prepareTables(tokens: Token[]): Promise<number> {
    const named = new Set(tokens.filter((t) => t.kind === 'word' || t.kind === 'quoted').map(nameOf));
    const withPath = named.has('$path');
    let scanned = 0;
    const words = significant(tokens);
    for (const name of named) {
      const table = this.tables.get(name);
      if (!table) continue;
      // An injected projected column needs a static equality in the query's WHERE clause
      // (https://docs.aws.amazon.com/athena/latest/ug/partition-projection-dynamic-id-partitioning.html).
      for (const column of partitioning(table, this.options.now).injected) {
        const fixed = words.some(
          (t, i) => nameOf(t) === column && words[i + 1]?.text === '=' && words[i + 2]?.kind === 'string',
        );
        if (!fixed) {
          throw new AthenaFailure(
            `CONSTRAINT_VIOLATION: For the injected projected partition column ${column}, the WHERE clause ` +
              'must contain only static equality conditions, and at least one such condition must be present.',
          );
        }
      }
      scanned += await this.buildView(table, withPath);
    }
    return scanned;
  }

  private async buildView(table: CatalogTable, withPath: boolean): Promise<number> {
    const { bucket, prefix } = parseUri(table.location);
    const parts = partitioning(table, this.options.now);
    // Hive skips files whose names start with _ or . (Athena: "Athena ignores … files that begin
    // with an underscore or a dot", https://docs.aws.amazon.com/athena/latest/ug/tables-location-format.html).
    const listed = (await this.options.s3.list(bucket, prefix)).filter(
      (o) => !/(^|\/)[_.][^/]*$/.test(o.key) && !o.key.endsWith('/'),
    );
    const located = listed.flatMap((o) => {
      const values = parts.partitionOf(o.key);
      return values ? [{ bucket, object: o, values }] : [];
    });
    const visible = table.symlink ? await this.manifestTargets(located) : located;
    const signature = JSON.stringify([withPath, visible.map((v) => [v.bucket, v.object.key, v.object.etag])]);
    const bytes = visible.reduce((n, v) => n + v.object.size, 0);
    if (this.built.get(table.name) === signature) return bytes;
    const files = await inParallel(visible, async (v) => ({
      file: await this.options.s3.local(v.bucket, v.object),
      uri: `s3://${v.bucket}/${v.object.key}`,
      values: v.values,
    }));
    const keys = table.partitionKeys;
    const typed = (c: CatalogColumn, present: boolean) =>
      `cast(${present ? `r.${ident(c.name)}` : 'null'} as ${duckType(c.type)}) as ${ident(c.name)}`;
    let body: string;
    if (files.length === 0) {
      const columns = [...table.columns, ...keys].map((c) => typed(c, false));
      if (withPath) columns.push(`cast(null as varchar) as "$path"`);
      body = `select ${columns.join(', ')} where false`;
    } else {
      const list = `[${files.map((f) => sqlString(f.file)).join(', ')}]`;
      const jsonColumns = table.columns.map((c) => `${sqlString(c.name)}: ${sqlString(duckType(c.type))}`).join(', ');
      const source =
        table.format === 'json'
          ? `read_json(${list}, format = 'newline_delimited', filename = '__file', hive_partitioning = false, ` +
            `columns = {${jsonColumns}})`
          : `read_parquet(${list}, union_by_name = true, filename = '__file', hive_partitioning = false)`;
      const present = new Set(
        table.format === 'json' ? table.columns.map((c) => c.name) : await this.parquetColumns(list),
      );
      const located = files.map(
        (f) => `(${[f.file, f.uri, ...keys.map((k) => f.values[k.name] ?? '')].map(sqlString).join(', ')})`,
      );
      const columns = [
        ...table.columns.map((c) => typed(c, present.has(c.name))),
        ...keys.map((k) => `cast(p.${ident(k.name)} as ${duckType(k.type)}) as ${ident(k.name)}`),
        ...(withPath ? ['p."$path"'] : []),
      ];
      const partitionColumns = ['__file', '"$path"', ...keys.map((k) => ident(k.name))].join(', ');
      body =
        `select ${columns.join(', ')} from ${source} as r ` +
        `join (values ${located.join(', ')}) as p(${partitionColumns}) on r.__file = p.__file`;
    }
    await this.connection.run(
      `create or replace view awsdatacatalog.${ident(this.options.database)}.${ident(table.name)} as ${body}`,
    );
    this.built.set(table.name, signature);
    return bytes;
  }

  /**
   * A symlink table's data files: each object in a projected partition's location is a manifest,
   * whose lines are the s3:// URIs of the files to read, with that partition's values; nothing
   * else in the partition, and no file a manifest does not name, is read (Hive's
   * SymlinkTextInputFormat, as Athena reads S3 Inventory's and Delta Lake's manifests:
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-athena-query.html,
   * https://docs.delta.io/latest/presto-integration.html). A manifest naming a file that is gone
   * fails the query, as a missing split does.
   */
  private async manifestTargets(
    manifests: { bucket: string; object: S3Object; values: Record<string, string> }[],
  ): Promise<{ bucket: string; object: S3Object; values: Record<string, string> }[]> {
    const named = await inParallel(manifests, async (m) => {
      const text = await readFile(await this.options.s3.local(m.bucket, m.object), 'utf8');
      const uris = text
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      return uris.map((uri) => ({ ...parseUri(uri), values: m.values, manifest: `s3://${m.bucket}/${m.object.key}` }));
    });
    const targets = named.flat();
    // For each file's ETag and size, one listing per bucket, of the deepest folder holding every
    // file the manifests name there (a table's, for its months): not one per folder, which made a
    // 102-month table's every statement list S3 102 times.
    const objects = new Map<string, S3Object>();
    for (const [b, keys] of groupByBucket(targets)) {
      for (const o of await this.options.s3.list(b, commonFolder(keys))) objects.set(`${b}/${o.key}`, o);
    }
    return targets.map((t) => {
      const object = objects.get(`${t.bucket}/${t.prefix}`);
      if (!object)
        throw new AthenaFailure(
          `HIVE_CANNOT_OPEN_SPLIT: Error opening Hive split s3://${t.bucket}/${t.prefix}: the file does not exist ` +
            `(named by the manifest ${t.manifest})`,
        );
      return { bucket: t.bucket, object, values: t.values };
    });
  }

  private async parquetColumns(list: string): Promise<string[]> {
    const reader = await this.connection.runAndReadAll(
      `describe select * from read_parquet(${list}, union_by_name = true, hive_partitioning = false)`,
    );
    return reader.getRows().map((r) => String(r[0]).toLowerCase());
  }

  // --- writes: CTAS, UNLOAD, INSERT INTO --------------------------------------------------

  /**
   * CREATE TABLE AS, a DML statement to the API (StatementType: "DML indicates DML (Data
   * Manipulation Language) query statements, such as CREATE TABLE AS SELECT",
   * https://docs.aws.amazon.com/athena/latest/APIReference/API_QueryExecution.html). In a
   * workgroup that enforces its configuration, a CTAS naming external_location fails and the
   * table goes under <results>/tables/<query-id>/
   * (https://docs.aws.amazon.com/athena/latest/ug/considerations-ctas.html, "Specify a location
   * for your CTAS query results"; https://docs.aws.amazon.com/athena/latest/ug/workgroups-troubleshooting.html:
   * "Athena will fail the query that specifies external_location"; the page gives no error text,
   * so the stand-in's says what happened and where the table would go). The location must be empty
   * (HIVE_PATH_ALREADY_EXISTS, https://repost.aws/knowledge-center/athena-hive-path-already-exists).
   */
  private async ctas(id: string, tokens: Token[]): Promise<Outcome> {
    const words = significant(tokens);
    let at = 2;
    if (lower(words[1]!) === 'or')
      throw new AthenaFailure(
        'NOT_SUPPORTED: line 1:1: CREATE OR REPLACE TABLE is not supported for Hive tables: ' +
          'use DROP TABLE, then CREATE TABLE',
      );
    let ifNotExists = false;
    if (words.slice(2, 5).map(lower).join(' ') === 'if not exists') {
      ifNotExists = true;
      at = 5;
    }
    const { name, next } = qualifiedName(words, at);
    const props = lower(words[next]!) === 'with' ? withProperties(words, next + 1) : { values: {}, next };
    if (lower(words[props.next]!) !== 'as')
      throw new AthenaFailure('NOT_SUPPORTED: the Athena stand-in runs CREATE TABLE only as CREATE TABLE AS SELECT');
    const asToken = tokens.indexOf(words[props.next]!);
    const query = tokens
      .slice(asToken + 1)
      .map((t) => t.text)
      .join('')
      .replace(/\s+with\s+(no\s+)?data\s*$/i, '');
    const table = this.resolveName(name);
    const { values } = props;
    if (this.tables.has(table)) {
      if (ifNotExists) return emptyOutcome('DML', 'CREATE_TABLE_AS_SELECT');
      throw new AthenaFailure(
        `TABLE_ALREADY_EXISTS: line 1:1: Table 'awsdatacatalog.${this.options.database}.${table}' already exists`,
      );
    }
    if (values.external_location !== undefined && this.options.workgroup.enforced) {
      throw new AthenaFailure(
        'INVALID_INPUT: the workgroup enforces its configuration, so a CTAS query may not name ' +
          `external_location ('${values.external_location}'); Athena writes the table under the workgroup's ` +
          `query results location (${this.options.results}tables/<query-id>/)`,
      );
    }
    const format = String(values.format ?? 'PARQUET').toUpperCase();
    if (format !== 'PARQUET')
      throw new AthenaFailure(`NOT_SUPPORTED: the Athena stand-in writes tables as PARQUET only, not ${format}`);
    const location = String(values.external_location ?? `${this.options.results}tables/${id}/`).replace(/\/?$/, '/');
    const partitionedBy = (values.partitioned_by as string[] | undefined)?.map((c) => c.toLowerCase()) ?? [];
    this.checkTrinoSyntax(query);
    const { bucket, prefix } = parseUri(location);
    // The results bucket the stack creates; made here on first use (credentials may come later than start-up).
    if (values.external_location === undefined) await this.options.s3.ensureBucket(bucket);
    if (!(await this.options.s3.isEmpty(bucket, prefix))) {
      throw new AthenaFailure(
        `HIVE_PATH_ALREADY_EXISTS: Target directory for table '${this.options.database}.${table}' already exists: ` +
          `${location}. You may need to manually clean the data at location '${location}' before retrying. ` +
          'Athena will not delete data in your account.',
      );
    }
    const written = await this.write(id, query, tokens, location, partitionedBy);
    this.tables.set(table, {
      name: table,
      location,
      columns: written.columns.filter((c) => !partitionedBy.includes(c.name)),
      partitionKeys: written.columns.filter((c) => partitionedBy.includes(c.name)),
      parameters: { classification: 'parquet' },
      format: 'parquet',
    });
    this.built.delete(table);
    return { ...emptyOutcome('DML', 'CREATE_TABLE_AS_SELECT'), dataScannedInBytes: written.scanned };
  }

  /**
   * UNLOAD: the TO location must hold no data, except when writing partitions; at most 100
   * partitions (https://docs.aws.amazon.com/athena/latest/ug/unload.html, "Considerations and
   * limitations" and "Syntax").
   */
  private async unload(id: string, tokens: Token[]): Promise<Outcome> {
    const words = significant(tokens);
    if (words[1]?.text !== '(') throw new AthenaFailure("SYNTAX_ERROR: line 1:8: mismatched input. Expecting: '('");
    const open = tokens.indexOf(words[1]!);
    const close = closingIndex(tokens, open);
    const query = tokens
      .slice(open + 1, close)
      .map((t) => t.text)
      .join('');
    const rest = significant(tokens.slice(close + 1));
    if (lower(rest[0]!) !== 'to' || rest[1]?.kind !== 'string')
      throw new AthenaFailure("SYNTAX_ERROR: UNLOAD needs TO 's3://…'");
    const location = rest[1].text.slice(1, -1).replace(/''/g, "'").replace(/\/?$/, '/');
    const props = lower(rest[2] ?? { kind: 'word', text: '' }) === 'with' ? withProperties(rest, 3).values : {};
    const format = String(props.format ?? 'PARQUET').toUpperCase();
    if (format !== 'PARQUET')
      throw new AthenaFailure(`NOT_SUPPORTED: the Athena stand-in unloads PARQUET only, not ${format}`);
    const partitionedBy = (props.partitioned_by as string[] | undefined)?.map((c) => c.toLowerCase()) ?? [];
    this.checkTrinoSyntax(query);
    const { bucket, prefix } = parseUri(location);
    if (partitionedBy.length === 0 && !(await this.options.s3.isEmpty(bucket, prefix))) {
      throw new AthenaFailure(
        `HIVE_PATH_ALREADY_EXISTS: Target directory for UNLOAD already exists: ${location}. ` +
          'UNLOAD writes only into an empty location, except into partitions; delete the data there first.',
      );
    }
    const written = await this.write(id, query, tokens, location, partitionedBy);
    return { ...emptyOutcome('DML', 'UNLOAD'), dataScannedInBytes: written.scanned };
  }

  /**
   * INSERT INTO a Parquet table of the catalog: its columns in order, the partition keys last; at
   * most 100 partitions (https://docs.aws.amazon.com/athena/latest/ug/insert-into.html,
   * https://docs.aws.amazon.com/athena/latest/ug/ctas-insert-into.html).
   */
  private async insert(id: string, tokens: Token[]): Promise<Outcome> {
    const words = significant(tokens);
    const { name, next } = qualifiedName(words, 2);
    const table = this.tables.get(this.resolveName(name));
    if (!table)
      throw new AthenaFailure(
        `TABLE_NOT_FOUND: line 1:13: Table 'awsdatacatalog.${this.options.database}.${this.resolveName(name)}' ` +
          'does not exist',
      );
    if (table.format !== 'parquet')
      throw new AthenaFailure(`NOT_SUPPORTED: the Athena stand-in inserts into Parquet tables only`);
    if (words[next]?.text === '(')
      throw new AthenaFailure('NOT_SUPPORTED: the Athena stand-in inserts whole rows only (no column list)');
    const query = tokens
      .slice(tokens.indexOf(words[next]!))
      .map((t) => t.text)
      .join('');
    this.checkTrinoSyntax(query);
    const target = [...table.columns, ...table.partitionKeys];
    const described = await this.describe(query, tokens);
    if (described.length !== target.length) {
      throw new AthenaFailure(
        `SYNTAX_ERROR: line 1:1: Insert query has ${described.length} columns but table has ${target.length}`,
      );
    }
    const columns = described.map((c, i) => `${ident(c.name)} as ${ident(target[i]!.name)}`);
    const renamed = `select ${columns.join(', ')} from (${query}) as inserted`;
    const written = await this.write(
      id,
      renamed,
      tokens,
      table.location,
      table.partitionKeys.map((k) => k.name),
      table,
    );
    this.built.delete(table.name);
    return { ...emptyOutcome('DML', 'INSERT'), dataScannedInBytes: written.scanned };
  }

  private async describe(query: string, tokens: Token[]): Promise<{ name: string; type: string }[]> {
    await this.prepareTables(tokens);
    const reader = await this.run(`describe ${toDuckDb(query)}`);
    return reader.getRows().map((r) => ({ name: String(r[0]).toLowerCase(), type: String(r[1]) }));
  }

  /**
   * Writes a query's rows as ZSTD Parquet under an S3 location: locally first, then put object by
   * object, so nothing is uploaded when a rule refuses the write. Partition columns must be the
   * query's last ones, in order (HIVE_COLUMN_ORDER_MISMATCH); at most 100 partitions
   * (HIVE_TOO_MANY_OPEN_PARTITIONS, https://docs.aws.amazon.com/athena/latest/ug/ctas-insert-into.html).
   */
  private async write(
    id: string,
    query: string,
    tokens: Token[],
    location: string,
    partitionedBy: string[],
    into?: CatalogTable,
  ) {
    const scanned = await this.prepareTables(tokens);
    const described = (await this.run(`describe ${toDuckDb(query)}`))
      .getRows()
      .map((r) => ({ name: String(r[0]).toLowerCase(), type: String(r[1]) }));
    const tail = described.slice(described.length - partitionedBy.length).map((c) => c.name);
    if (partitionedBy.length > 0 && tail.join(',') !== partitionedBy.join(',')) {
      throw new AthenaFailure(
        'HIVE_COLUMN_ORDER_MISMATCH: Partition keys must be the last columns in the table and in the same order ' +
          `as the table properties: [${partitionedBy.join(', ')}]`,
      );
    }
    // Trino has no 128-bit integers: a DuckDB sum of bigints is written as the bigint Trino gives.
    const select = described.map((c) =>
      c.type === 'HUGEINT' ? `cast(${ident(c.name)} as bigint) as ${ident(c.name)}` : ident(c.name),
    );
    const dir = path.join(this.options.scratch, id);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const source = `select ${select.join(', ')} from (${toDuckDb(query)}) as written`;
    const partition = partitionedBy.length
      ? `, partition_by (${partitionedBy.map(ident).join(', ')}), overwrite_or_ignore`
      : '';
    const target = partitionedBy.length ? dir : path.join(dir, `${id}_0.parquet`);
    try {
      await this.run(
        `copy (${source}) to ${sqlString(target)} ` +
          `(format parquet, compression zstd${partition}, filename_pattern '${id}_{i}')`,
      );
      const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
        .filter((f) => f.isFile())
        .map((f) => path.relative(dir, path.join(f.parentPath, f.name)));
      const partitions = new Set(files.map((f) => path.dirname(f)));
      if (partitionedBy.length && partitions.size > maxPartitions) {
        throw new AthenaFailure(
          `HIVE_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of ${maxPartitions} open writers for partitions/buckets`,
        );
      }
      const { bucket, prefix } = parseUri(location);
      const template = into?.parameters['storage.location.template'];
      await inParallel(files, async (file) => {
        let key = `${prefix}${file.split(path.sep).join('/')}`;
        if (template && partitionedBy.length) {
          // A projected table's partitions lie where its template puts them.
          const values = Object.fromEntries(
            path
              .dirname(file)
              .split(path.sep)
              .map((p) => p.split('=').map(decodeURIComponent) as [string, string]),
          );
          const uri = template.replace(/\$\{([a-z0-9_]+)\}/gi, (_, k: string) => values[k.toLowerCase()] ?? '');
          key = `${parseUri(uri).prefix}${path.basename(file)}`;
        }
        await this.options.s3.put(bucket, key, path.join(dir, file));
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const columns = described.map((c) => ({ name: c.name, type: glueTypeOf(c.type) }));
    return { columns, scanned };
  }

  // --- Hive DDL ---------------------------------------------------------------------------

  /**
   * Athena runs DROP TABLE, CREATE EXTERNAL TABLE, ALTER TABLE and MSCK as Hive DDL, which quotes
   * names with backticks: a double-quoted name does not parse
   * (https://docs.aws.amazon.com/athena/latest/ug/reserved-words.html: "To escape reserved
   * keywords in DDL statements, enclose them in backticks";
   * https://docs.aws.amazon.com/athena/latest/ug/drop-table.html).
   */
  private checkHiveQuoting(words: Token[]): void {
    const quoted = words.findIndex((t) => t.kind === 'quoted');
    if (quoted < 0) return;
    const near = words
      .slice(quoted, quoted + 3)
      .map((t) => `'${t.text}'`)
      .join(' ');
    const column = words.slice(0, quoted).reduce((n, t) => n + t.text.length + 1, 0);
    throw new AthenaFailure(
      `FAILED: ParseException line 1:${column} cannot recognize input near ${near} in table name`,
      2,
      1003,
    );
  }

  private async hiveDdl(words: Token[], what: string): Promise<Outcome> {
    this.checkHiveQuoting(words);
    throw new AthenaFailure(
      `NOT_SUPPORTED: the Athena stand-in does not run ${what}: the stack defines the tables (infra/lakeStack.ts)`,
      2,
      1003,
    );
  }

  /**
   * DROP TABLE removes the table from the catalog and keeps its data: the tables are external
   * (https://docs.aws.amazon.com/athena/latest/ug/drop-table.html: "the underlying data remains intact").
   */
  private async dropTable(words: Token[]): Promise<Outcome> {
    this.checkHiveQuoting(words);
    let at = 2;
    const ifExists = words.slice(2, 4).map(lower).join(' ') === 'if exists';
    if (ifExists) at = 4;
    const { name, next } = qualifiedName(words, at);
    if (
      next < words.length &&
      !(words[next]!.text === ';' && next === words.length - 1) &&
      lower(words[next]!) !== 'purge'
    ) {
      throw new AthenaFailure(`FAILED: ParseException line 1:1 missing EOF at '${words[next]!.text}'`, 2, 1003);
    }
    const table = this.resolveName(name);
    if (!this.tables.has(table)) {
      if (ifExists) return emptyOutcome('DDL', 'DROP_TABLE');
      throw new AthenaFailure(
        `FAILED: SemanticException [Error 10001]: Table not found ${this.options.database}.${table}`,
        2,
        1003,
      );
    }
    this.tables.delete(table);
    this.built.delete(table);
    await this.connection.run(`drop view if exists awsdatacatalog.${ident(this.options.database)}.${ident(table)}`);
    return emptyOutcome('DDL', 'DROP_TABLE');
  }

  /** A table name as the catalog keys it: in this database (the only one the stand-in has). */
  private resolveName(parts: string[]): string {
    const [table, database, catalog] = [...parts].reverse();
    if ((database && database !== this.options.database) || (catalog && catalog !== 'awsdatacatalog')) {
      throw new AthenaFailure(`SCHEMA_NOT_FOUND: line 1:1: Schema '${database}' does not exist`);
    }
    return table!;
  }
}

/** `work` on every item, eight at a time (S3 requests), results in the items' order. */
async function inParallel<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, items.length) }, worker));
  return results;
}

function closingIndex(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i]!.text === '(') depth++;
    else if (tokens[i]!.text === ')' && --depth === 0) return i;
  }
  throw new AthenaFailure('SYNTAX_ERROR: unbalanced parentheses');
}

/** A dotted name (a, a.b, "a"."b", `a`.`b`, `a.b`) starting at `at`, and the index after it. */
function qualifiedName(words: Token[], at: number): { name: string[]; next: number } {
  const name: string[] = [];
  let i = at;
  for (;;) {
    const t = words[i];
    if (!t || !['word', 'quoted', 'backtick'].includes(t.kind))
      throw new AthenaFailure('SYNTAX_ERROR: line 1:1: expecting a table name');
    name.push(...(t.kind === 'backtick' ? nameOf(t).split('.') : [nameOf(t)]));
    i++;
    if (words[i]?.text !== '.') return { name, next: i };
    i++;
  }
}

/** WITH (key = value, …): strings, numbers and ARRAY['a', …]. */
function withProperties(
  words: Token[],
  at: number,
): { values: Record<string, string | number | string[]>; next: number } {
  if (words[at]?.text !== '(') throw new AthenaFailure("SYNTAX_ERROR: expecting '(' after WITH");
  const values: Record<string, string | number | string[]> = {};
  let i = at + 1;
  const unquote = (t: Token) => t.text.slice(1, -1).replace(/''/g, "'");
  while (i < words.length && words[i]!.text !== ')') {
    const key = nameOf(words[i]!);
    if (words[i + 1]?.text !== '=') throw new AthenaFailure(`SYNTAX_ERROR: expecting '=' after ${key}`);
    i += 2;
    const value = words[i]!;
    if (lower(value) === 'array') {
      const items: string[] = [];
      i += 2;
      while (words[i] && words[i]!.text !== ']') {
        if (words[i]!.kind === 'string') items.push(unquote(words[i]!));
        i++;
      }
      values[key] = items;
    } else values[key] = value.kind === 'string' ? unquote(value) : Number(value.text);
    i++;
    if (words[i]?.text === ',') i++;
  }
  return { values, next: i + 1 };
}

const emptyOutcome = (statementType: Outcome['statementType'], substatementType: string): Outcome => ({
  statementType,
  substatementType,
  columns: [],
  rows: [],
  dataScannedInBytes: 0,
});

/** Glue's spelling of a DuckDB column type, for a table a CTAS makes. */
function glueTypeOf(duck: string): string {
  const t = duck.toUpperCase();
  if (t.endsWith('[]')) return `array<${glueTypeOf(t.slice(0, -2))}>`;
  if (t === 'VARCHAR') return 'string';
  if (t === 'HUGEINT' || t === 'BIGINT') return 'bigint';
  if (t === 'INTEGER') return 'int';
  if (t === 'TIMESTAMP WITH TIME ZONE') return 'timestamp';
  return t.toLowerCase();
}

/** A DuckDB error as Athena would word its kind; the text keeps DuckDB's detail. */
function asAthenaFailure(error: Error): AthenaFailure {
  const message = error.message.split('\n')[0] ?? '';
  if (message.includes('INTERRUPT') || /interrupted/i.test(message))
    return new AthenaFailure('Query was cancelled', 2, 1000);
  const detail = message.replace(/^[A-Za-z ]+ Error: /, '');
  if (/Cannot cast '.*' to DOUBLE|Value cannot be cast to/.test(message))
    return new AthenaFailure(`INVALID_CAST_ARGUMENT: ${detail}`);
  if (/^Catalog Error: Table/.test(message)) return new AthenaFailure(`TABLE_NOT_FOUND: ${detail}`);
  if (/^Catalog Error: Scalar Function|^Catalog Error: .*Function/.test(message))
    return new AthenaFailure(`FUNCTION_NOT_FOUND: ${detail}`);
  if (/^Binder Error: Referenced column/.test(message)) return new AthenaFailure(`COLUMN_NOT_FOUND: ${detail}`);
  if (/^Binder Error: No function matches/.test(message)) return new AthenaFailure(`FUNCTION_NOT_FOUND: ${detail}`);
  if (/^(Binder|Parser) Error/.test(message)) return new AthenaFailure(`SYNTAX_ERROR: ${detail}`);
  if (/^Conversion Error/.test(message)) return new AthenaFailure(`INVALID_CAST_ARGUMENT: ${detail}`);
  if (/^Invalid Input Error/.test(message)) return new AthenaFailure(`INVALID_FUNCTION_ARGUMENT: ${detail}`);
  if (/^Out of Range Error/.test(message)) return new AthenaFailure(`NUMERIC_VALUE_OUT_OF_RANGE: ${detail}`);
  return new AthenaFailure(`GENERIC_INTERNAL_ERROR: ${message}`, 1, 200);
}

/** ColumnInfo for a result column: Trino's type names. */
function trinoColumn(name: string, type: DuckDBType): Column {
  const base = { name, precision: 0, scale: 0 };
  switch (type.typeId) {
    case DuckDBTypeId.VARCHAR:
      return { ...base, type: 'varchar', precision: 2147483647 };
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UBIGINT:
      return { ...base, type: 'bigint', precision: 19 };
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UINTEGER:
      return { ...base, type: 'integer', precision: 10 };
    case DuckDBTypeId.SMALLINT:
      return { ...base, type: 'smallint', precision: 5 };
    case DuckDBTypeId.TINYINT:
      return { ...base, type: 'tinyint', precision: 3 };
    case DuckDBTypeId.DOUBLE:
      return { ...base, type: 'double', precision: 17 };
    case DuckDBTypeId.FLOAT:
      return { ...base, type: 'real', precision: 17 };
    case DuckDBTypeId.BOOLEAN:
      return { ...base, type: 'boolean' };
    case DuckDBTypeId.DATE:
      return { ...base, type: 'date' };
    case DuckDBTypeId.TIMESTAMP:
      return { ...base, type: 'timestamp', precision: 3 };
    case DuckDBTypeId.TIMESTAMP_TZ:
      return { ...base, type: 'timestamp with time zone', precision: 3 };
    case DuckDBTypeId.DECIMAL: {
      const d = type as unknown as { width: number; scale: number };
      return { ...base, type: 'decimal', precision: d.width, scale: d.scale };
    }
    case DuckDBTypeId.LIST:
      return { ...base, type: 'array' };
    default:
      return { ...base, type: 'varchar' };
  }
}

/** Java's Double.toString, which Athena's results print doubles with. */
export function javaDouble(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(n);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(n);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exponent] = n.toExponential().split('e');
  return `${mantissa!.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

/** A result value as Athena's VarCharValue text; null stays null (a Datum without VarCharValue). */
function formatValue(value: DuckDBValue, type: DuckDBType): string | null {
  if (value === null || value === undefined) return null;
  switch (type.typeId) {
    case DuckDBTypeId.DOUBLE:
    case DuckDBTypeId.FLOAT:
      return javaDouble(Number(value));
    case DuckDBTypeId.TIMESTAMP: {
      const s = String(value);
      return /\.\d+$/.test(s)
        ? s.replace(/(\.\d{3})\d*$/, '$1').replace(/\.(\d{1,2})$/, (_, d: string) => `.${d.padEnd(3, '0')}`)
        : `${s}.000`;
    }
    case DuckDBTypeId.TIMESTAMP_TZ: {
      const iso = new Date(Number((value as unknown as { micros: bigint }).micros / 1000n)).toISOString();
      return `${iso.slice(0, 10)} ${iso.slice(11, 23)} UTC`;
    }
    case DuckDBTypeId.LIST: {
      const items = (value as unknown as { items: DuckDBValue[] }).items;
      const child = (type as unknown as { valueType: DuckDBType }).valueType;
      return `[${items.map((v) => formatValue(v, child) ?? 'null').join(', ')}]`;
    }
    default:
      return String(value);
  }
}
