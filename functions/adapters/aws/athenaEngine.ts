import { randomUUID } from 'node:crypto';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type ColumnInfo,
  type QueryExecution,
  type Row as AthenaRow,
} from '@aws-sdk/client-athena';
import { asSubquery, ident, sqlString } from '../../dialect/sqlText.ts';
import { lakeKeys, scratchTablePrefix } from '../../model/lakeKeys.ts';
import { rawPartitionKeys, rawPartOf, rawTableName } from '../../model/rawTables.ts';
import { OutOfTimeError, PulseError, QueryError, QueryTimeoutError } from '../../errors.ts';
import type { LandedPart } from '../../ports/source.ts';
import type { QueryEngine, Row, TableLocation } from '../../ports/queryEngine.ts';
import { faultPoint } from '../../runtime/faultPoint.ts';
import { ScratchRelations } from './athenaScratch.ts';
import { sdkFacts } from './sdkErrors.ts';
import type { Manifests, TableManifests } from './tableManifests.ts';

/** The Glue table the CDK stack defines over a lake prefix: curated/<entity>/ and marts/<mart>/ are named after it. */
function catalogTableOf(prefix: string): string | undefined {
  return /^(?:curated|marts)\/([a-z0-9_]+)\/?$/.exec(prefix)?.[1];
}

/** How long to wait, and for how long in all; injectable so tests run on a fake clock. */
export interface AthenaTimings {
  /** First wait between GetQueryExecution polls; it doubles up to pollMaxMs. */
  pollFirstMs: number;
  pollMaxMs: number;
  /** Total time one query may take before it is stopped: under the 15-minute Lambda limit, with room to page the results. */
  pollBudgetMs: number;
  /** Calls made for a throttled request (StartQueryExecution, a poll, a result page) before giving up. */
  throttleAttempts: number;
  /** First wait after throttling; it doubles up to throttleMaxMs, with jitter so parallel Lambdas spread out. */
  throttleFirstMs: number;
  throttleMaxMs: number;
  /**
   * How long to wait, once a query is stopped at the deadline, for Athena to say it is no longer
   * running: within the Lambda's margin, so a re-run never clears a partition a stopped UNLOAD
   * still writes into.
   */
  stopConfirmMs: number;
  sleep(ms: number): Promise<void>;
  now(): number;
  random(): number;
}

export const defaultAthenaTimings: AthenaTimings = {
  pollFirstMs: 250,
  pollMaxMs: 5_000,
  pollBudgetMs: 12 * 60_000,
  throttleAttempts: 5,
  throttleFirstMs: 1_000,
  throttleMaxMs: 20_000,
  stopConfirmMs: 60_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
  random: () => Math.random(),
};

export interface AthenaEngineOptions {
  workGroup: string;
  /** The Glue database the CDK stack creates; unqualified table names resolve in it. */
  database: string;
  /** The lake bucket as an S3 URI (s3://pulse-lake-…): lake keys are relative to it. */
  lake: string;
  catalog?: string;
  /** Query results location, when the workgroup does not enforce its own. */
  outputLocation?: string;
  region?: string;
  /** For tests and for sharing one client. */
  client?: AthenaClient;
  timings?: Partial<AthenaTimings>;
  /** Deletes every object under a lake key prefix (the S3 object store's deletePrefix): UNLOAD writes only to empty locations. */
  clearPrefix?: (prefix: string) => Promise<void>;
  /**
   * The manifests of the lake's tables (tableManifests.ts): a write of a curated entity or a mart
   * is committed by them, and the Glue tables read only the files they name.
   */
  manifests?: TableManifests;
}

/** 12 hex digits, unique enough to name an engine's scratch tables or a table's write. */
const shortId = () => randomUUID().replace(/-/g, '').slice(0, 12);

/** The month a key of a table's files lies in ('' when none: an unpartitioned table's). */
const monthOfKey = (key: string) => /\/month=(\d{4}-\d{2})\//.exec(key)?.[1] ?? '';

const groupBy = (keys: readonly string[], of: (key: string) => string): Map<string, string[]> => {
  const groups = new Map<string, string[]>();
  for (const key of keys) groups.set(of(key), [...(groups.get(of(key)) ?? []), key]);
  return groups;
};

/** Partitions one CTAS, INSERT INTO or UNLOAD may write (see writeParquet). */
export const maxPartitionsPerWrite = 100;

const chunk = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** A FAILED query's StateChangeReason when Athena or S3 throttled it rather than the SQL being wrong. */
const throttledReason = /throttl|rate exceeded|too many requests|slow ?down/i;
const errorCategories: Record<number, string> = { 1: 'system', 2: 'user', 3: 'other' };

/** The query engine in AWS: Athena (engine v3, Trino) over the Glue tables the CDK stack defines. */
/**
 * An Athena client as the engine uses it. maxAttempts 1: throttling is retried by the engine,
 * with waits sized for Athena's per-account quotas; the SDK's own attempts inside each of ours
 * would multiply them.
 */
export function createAthenaClient(region?: string): AthenaClient {
  return new AthenaClient({ ...(region ? { region } : {}), maxAttempts: 1 });
}

export class AthenaEngine implements QueryEngine {
  readonly dialect = 'trino';
  readonly readsExportsInPlace = false;
  private readonly client: AthenaClient;
  private readonly timings: AthenaTimings;
  private readonly ownsClient: boolean;
  private readonly scratch = new ScratchRelations();
  /** Names this engine's scratch tables and their prefix: unique per engine, so runs never share one. */
  private readonly id = shortId();
  /** When the engine must be idle (epoch ms, on the timings' clock): see stopAt. */
  private deadline: number | undefined;

  constructor(private readonly options: AthenaEngineOptions) {
    this.client = options.client ?? createAthenaClient(options.region);
    this.ownsClient = !options.client;
    this.timings = { ...defaultAthenaTimings, ...options.timings };
  }

  /**
   * Names the Glue tables the CDK stack defines over each prefix (curated/<entity>/,
   * marts/<mart>/); a stage's own name for one (curated_tickets_before) becomes an alias of it,
   * read live. Columns are the catalog's, generated from the same declarations.
   */
  async registerTables(tables: TableLocation[]): Promise<void> {
    for (const table of tables) {
      const catalogName = catalogTableOf(table.prefix);
      if (!catalogName)
        throw new PulseError(
          `cannot register ${table.name} in Athena: ${table.prefix} is not a prefix the CDK stack defines a Glue table over (curated/<entity>/ or marts/<mart>/)`,
        );
      if (table.rows) {
        // Some rows of the catalog table under the stage's name: a view, prepended as a WITH entry.
        const month = table.partitioned ? ', month' : '';
        const columns = table.rows.columns.map(ident).join(', ');
        const sql = `select ${columns}${month} from ${this.qualified(catalogName)} where ${table.rows.where}`;
        this.scratch.set(table.name, { kind: 'view', sql });
      } else if (catalogName === table.name.toLowerCase()) this.scratch.delete(table.name);
      else this.scratch.set(table.name, { kind: 'alias', qualified: this.qualified(catalogName) });
    }
  }

  /**
   * The landed part as `landed_cells` and `landed`, views over the raw table of its entity and
   * form (functions/model/rawTables.ts), narrowed to its partition and then its file: extract
   * lands every part for Athena as numbered NDJSON (readsExportsInPlace is false).
   */
  async registerLanded(part: LandedPart, fields: readonly string[]): Promise<void> {
    const at = rawPartOf(part.key);
    if (!at)
      throw new PulseError(
        `cannot read ${part.key} in Athena: not a raw part key (raw/<entity>/source=…/ingest_date=…/)`,
      );
    if (part.format === 'csv') {
      throw new PulseError(
        `cannot read ${part.key} in Athena: an export landed as CSV has no row numbers there; extract splits every export into cells for an s3:// lake, so land it again (pulse run --reextract)`,
      );
    }
    const table = this.qualified(rawTableName(at.entity, part.format));
    const [sourceKey, dateKey] = rawPartitionKeys.map((k) => k.name);
    const where = `${sourceKey} = ${sqlString(at.source)} and ${dateKey} = ${sqlString(at.ingestDate)} and "$path" = ${sqlString(this.uri(part.key))}`;
    const width = part.layout?.header.length ?? 0;
    const cells = Array.from({ length: width }, (_, i) => `element_at(c, ${i + 1}) as c${i}`);
    const body =
      part.format === 'cells'
        ? `select _row, _line, _reject, _message${cells.map((c) => `, ${c}`).join('')} from ${table} where ${where}`
        : `select _row, _row as _line, cast(null as varchar) as _reject, cast(null as varchar) as _message${fields.map((f) => `, ${ident(f)}`).join('')} from ${table} where ${where}`;
    this.scratch.set('landed_cells', { kind: 'view', sql: body });
    const columns = part.layout?.columns ?? {};
    const select = fields.map(
      (f) =>
        `${part.format === 'records' ? ident(f) : columns[f] === undefined ? 'cast(null as varchar)' : `c${columns[f]}`} as ${ident(f)}`,
    );
    this.scratch.set('landed', {
      kind: 'view',
      sql: `select ${sqlString(part.name)} as _file, _row, _line, _reject, _message${select.map((s) => `, ${s}`).join('')} from landed_cells`,
    });
  }

  async releaseLanded(): Promise<void> {
    this.scratch.delete('landed');
    this.scratch.delete('landed_cells');
  }

  /**
   * Materialised by CTAS as ZSTD Parquet, in a table of a name no other run uses; dropped by
   * `drop table <name>` or at close. The workgroup enforces its configuration, so the CTAS names
   * no external_location: Athena fails a CTAS that does, and puts the table under the workgroup's
   * results location, in tables/<query-id>/, a prefix new for each query (Athena User Guide,
   * "Considerations and limitations for CTAS queries",
   * https://docs.aws.amazon.com/athena/latest/ug/considerations-ctas.html, and "Troubleshoot
   * workgroup errors", https://docs.aws.amazon.com/athena/latest/ug/workgroups-troubleshooting.html).
   * Dropping the table keeps its files; the results bucket's lifecycle rule expires them, as it
   * does every query's results (infra/secureDefaults.ts, queryResultsBucketProps).
   */
  async createTable(name: string, sql: string): Promise<void> {
    await this.dropScratch(name);
    const physical = `${scratchTablePrefix}${this.id}_${name.toLowerCase()}`;
    const expanded = this.scratch.expand(asSubquery(sql));
    await this.execute(
      `create table ${this.qualified(physical)} with (format = 'PARQUET', write_compression = 'ZSTD') ` +
        `as select * from (\n${expanded}\n) as scratch`,
    );
    this.scratch.set(name, { kind: 'table', physical: this.qualified(physical), ddlName: this.ddlQualified(physical) });
  }

  /** A view the engine prepends as a WITH entry to the statements that name it: nothing in Glue. */
  async createView(name: string, sql: string): Promise<void> {
    await this.dropScratch(name);
    this.scratch.set(name, { kind: 'view', sql: asSubquery(sql) });
  }

  /** A SELECT's rows; `drop table|view <name>` of a stage's own relation drops it here. */
  async query(sql: string): Promise<Row[]> {
    const drop = /^\s*drop\s+(table|view)\s+(if\s+exists\s+)?([a-z_][a-z0-9_]*)\s*;?\s*$/i.exec(sql);
    if (drop && this.scratch.get(drop[3]!)) {
      await this.dropScratch(drop[3]!);
      return [];
    }
    const execution = await this.execute(this.scratch.expand(sql));
    return this.results(execution);
  }

  /**
   * A curated entity's or a mart's rows are committed by manifests (docs/design.md, "Commits"): the
   * UNLOAD writes into a prefix of its own, `<table>w=<write>/`, which no manifest names, so a
   * write stopped part-way changes nothing a reader sees; then each month's manifest is put, one
   * request that switches the month from its old files to the new ones whole, conditional on the
   * manifest read before the UNLOAD (another writer meanwhile: ManifestConflictError); then the
   * old files are deleted. A month the rows leave (among `months`, or held before a write of the
   * whole table) is committed empty. Any other prefix (curate's staging) is cleared and written.
   */
  async writeParquet(
    sql: string,
    prefix: string,
    options: { partitionByMonth: boolean; months?: string[] },
  ): Promise<void> {
    const base = prefix.replace(/^\/+|\/+$/g, '');
    if (!catalogTableOf(base)) {
      await this.unload(sql, `${base}/`, options, { clear: true });
      return;
    }
    const table = `${base}/`;
    const { before, write } = await this.beginWrite(table);
    const months = await this.unload(sql, write, options, { clear: false });
    const committed = !options.partitionByMonth
      ? undefined
      : (options.months ?? [...new Set([...(months ?? []), ...[...before.keys()].filter(Boolean)])]);
    await this.commit(table, write, committed, before);
  }

  /**
   * Makes Parquet files already written under `from` (curate's staged fold: `month=YYYY-MM/…`,
   * or the files of an unpartitioned entity) the table's months: copied into a write prefix of
   * the table's own, then committed by its manifests as writeParquet's are. Run again after a
   * stop, it commits the same rows again; the copies a stopped run left are swept (sweepWrites).
   */
  async commitStaged(from: string, prefix: string, months: readonly string[] | 'all'): Promise<void> {
    const table = prefix.replace(/\/?$/, '/');
    const manifests = this.manifests();
    const { before, write } = await this.beginWrite(table);
    const places = months === 'all' ? [''] : months.map((m) => `month=${m}/`);
    for (const place of places)
      for (const key of await manifests.list(`${from}${place}`))
        await manifests.copy(key, `${write}${place}${key.slice(from.length + place.length)}`);
    await this.commit(table, write, months === 'all' ? undefined : [...months], before);
  }

  /**
   * What a table's writes left that no manifest names is deleted: the files of a write stopped
   * before its commit, and those of a month committed since. Files a Pulse from before the
   * manifests wrote (`<table>month=YYYY-MM/…`) are first adopted: a month without a manifest gets
   * one naming them, so upgrading loses no month. Run by the stage that writes the table before it
   * reads it (curate, marts); one run at a time holds the lake, so no write is under way.
   */
  async sweepWrites(prefix: string): Promise<string | undefined> {
    const table = prefix.replace(/\/?$/, '/');
    const manifests = this.manifests();
    const committed = await manifests.readAll(table);
    const named = new Set([...committed.values()].flatMap((m) => m.keys));
    const keys = await manifests.list(table);
    const writes = lakeKeys.tableWrite(table, '').slice(0, -1);
    const legacy = groupBy(
      keys.filter((k) => !k.startsWith(writes)),
      monthOfKey,
    );
    const adopted: string[] = [];
    for (const [month, files] of legacy) {
      if (committed.has(month)) continue;
      await manifests.commit(table, month || undefined, files);
      for (const file of files) named.add(file);
      adopted.push(month || 'the table');
    }
    const orphans = keys.filter((k) => !named.has(k));
    await manifests.delete(orphans);
    const said = [
      ...(orphans.length > 0
        ? [`removed ${orphans.length} file(s) no manifest names (a write stopped before its commit)`]
        : []),
      ...(adopted.length > 0
        ? [`committed ${adopted.length} month(s) written before manifests (${adopted.join(', ')})`]
        : []),
    ];
    return said.length > 0 ? `${table}: ${said.join('; ')}` : undefined;
  }

  /**
   * UNLOAD writes only into an empty location, except into new partitions (Athena User Guide,
   * UNLOAD): so a prefix other than a fresh write's is cleared first. With partitioned_by the
   * partition column must be the SELECT's last. A query writes at most 100 partitions (Athena
   * User Guide, "Use CTAS and INSERT INTO to work around the 100 partition limit",
   * https://docs.aws.amazon.com/athena/latest/ug/ctas-insert-into.html: past it the query fails
   * with HIVE_TOO_MANY_OPEN_PARTITIONS), so more months are written in batches of 100, each an
   * UNLOAD of its own months into partitions still new. Without `months` the SELECT is asked which
   * months it holds. Returns the months written (undefined unpartitioned).
   */
  private async unload(
    sql: string,
    target: string,
    options: { partitionByMonth: boolean; months?: string[] },
    { clear }: { clear: boolean },
  ): Promise<string[] | undefined> {
    const expanded = this.scratch.expand(asSubquery(sql));
    const to = `to ${sqlString(this.uri(target))}`;
    const unload = (where: string, partitioned: string) =>
      this.execute(
        `unload (select * from (\n${expanded}\n) as unloaded${where}) ${to} ` +
          `with (format = 'PARQUET', compression = 'ZSTD'${partitioned})`,
      );
    if (!options.partitionByMonth) {
      if (clear) await this.clear(target);
      await unload('', '');
      return undefined;
    }
    let months = options.months;
    if (months) {
      if (clear) for (const month of months) await this.clear(`${target}month=${month}/`);
    } else {
      if (clear) await this.clear(target);
      const distinct = `select distinct month from (\n${asSubquery(sql)}\n) as written order by 1`;
      const held = await this.results(await this.execute(this.scratch.expand(distinct)));
      months = held.map((r) => String(r.month));
    }
    const batches = chunk([...months].sort(), maxPartitionsPerWrite);
    const byMonth = ", partitioned_by = ARRAY['month']";
    if (batches.length <= 1) await unload('', byMonth);
    else for (const batch of batches) await unload(` where month in (${batch.map(sqlString).join(', ')})`, byMonth);
    return months;
  }

  /**
   * Puts the manifest of each month (`months`; undefined: the unpartitioned table's one) naming
   * the files `write` holds for it, each conditional on the manifest read before the write; then
   * deletes the files the replaced manifests named. Between the UNLOAD and the first put is the
   * fault point `manifest:<table>`.
   */
  private async commit(table: string, write: string, months: string[] | undefined, before: Manifests): Promise<void> {
    const manifests = this.manifests();
    const written = groupBy(await manifests.list(write), monthOfKey);
    faultPoint(`manifest:${table}`);
    const replaced: string[] = [];
    for (const month of months ?? ['']) {
      await manifests.commit(table, month || undefined, written.get(month) ?? [], before.get(month)?.etag);
      replaced.push(...(before.get(month)?.keys ?? []));
    }
    await manifests.delete(replaced.filter((k) => !k.startsWith(write)));
  }

  /** A write of a table's months: its manifests as read before it (for commit), and a write prefix of its own. */
  private async beginWrite(table: string): Promise<{ before: Manifests; write: string }> {
    const before = await this.manifests().readAll(table);
    return { before, write: lakeKeys.tableWrite(table, shortId()) };
  }

  private manifests(): TableManifests {
    if (!this.options.manifests)
      throw new PulseError(
        "AthenaEngine commits a table's months by manifests and needs manifests (S3TableManifests) in its options",
      );
    return this.options.manifests;
  }

  /**
   * From the deadline on no statement starts, and a running one is stopped (StopQueryExecution)
   * and waited for until Athena says it has ended: a Lambda killed at its timeout would leave it
   * running for up to Athena's DML timeout of 30 minutes (Athena User Guide, "Service Quotas",
   * https://docs.aws.amazon.com/athena/latest/ug/service-limits.html).
   */
  stopAt(deadline: number): void {
    this.deadline = deadline;
  }

  /** Drops the tables this engine materialised, then lets the client go. */
  async close(): Promise<void> {
    // Dropping its work tables is cleanup within the Lambda's margin, past the deadline too.
    this.deadline = undefined;
    try {
      for (const table of this.scratch.tables()) await this.dropScratch(table.name);
    } finally {
      if (this.ownsClient) this.client.destroy();
    }
  }

  private async dropScratch(name: string): Promise<void> {
    const relation = this.scratch.get(name);
    if (!relation) return;
    this.scratch.delete(name);
    if (relation.kind !== 'table') return;
    await this.execute(`drop table if exists ${relation.ddlName}`);
  }

  private async clear(prefix: string): Promise<void> {
    const clear = this.options.clearPrefix;
    if (!clear)
      throw new PulseError(
        'AthenaEngine writes Parquet only into empty locations and needs clearPrefix (the S3 object store) in its options',
      );
    await clear(prefix);
  }

  /** A lake key as the S3 URI Athena reads and writes. */
  private uri(key: string): string {
    return `${this.options.lake.replace(/\/+$/, '')}/${key}`;
  }

  /** A table of the database, quoted: a qualified name is never taken for a stage's own. */
  private qualified(table: string): string {
    return `"${this.options.database}"."${table}"`;
  }

  /**
   * The same, as Hive DDL (DROP TABLE) reads it: Athena runs DDL in Hive, which quotes names in
   * backticks, not double quotes (Athena User Guide, "Escape reserved keywords in queries",
   * https://docs.aws.amazon.com/athena/latest/ug/reserved-words.html, and "DROP TABLE",
   * https://docs.aws.amazon.com/athena/latest/ug/drop-table.html).
   */
  private ddlQualified(table: string): string {
    return `\`${this.options.database}\`.\`${table}\``;
  }

  /** Starts a statement and waits until it SUCCEEDED; a FAILED or CANCELLED one, or one past the budget, throws QueryError. */
  private async execute(sql: string): Promise<QueryExecution> {
    const { workGroup, database, catalog = 'AwsDataCatalog', outputLocation } = this.options;
    if (this.deadline !== undefined && this.timings.now() >= this.deadline) {
      const at = new Date(this.deadline).toISOString();
      throw new OutOfTimeError(`the stage's deadline (${at}) has passed: no Athena query is started`);
    }
    // One token for every attempt: a start Athena did take, though we saw an error, is not run twice.
    const token = randomUUID();
    const started = await this.throttled('StartQueryExecution', () =>
      this.client.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          ClientRequestToken: token,
          WorkGroup: workGroup,
          QueryExecutionContext: { Database: database, Catalog: catalog },
          ...(outputLocation ? { ResultConfiguration: { OutputLocation: outputLocation } } : {}),
        }),
      ),
    );
    const id = started.QueryExecutionId;
    if (!id) throw new QueryError('Athena StartQueryExecution returned no QueryExecutionId', { retryable: true });
    return this.waitFor(id);
  }

  private async waitFor(id: string): Promise<QueryExecution> {
    const t = this.timings;
    const start = t.now();
    // Polled until the budget is spent or the deadline comes, whichever is first.
    const budgetEnd = start + t.pollBudgetMs;
    const end = Math.min(budgetEnd, this.deadline ?? Number.POSITIVE_INFINITY);
    let wait = t.pollFirstMs;
    for (;;) {
      const execution = await this.poll(id);
      const state = execution.Status?.State;
      if (state === 'SUCCEEDED') return execution;
      if (state === 'FAILED') throw failed(id, execution);
      if (state === 'CANCELLED') {
        const reason = execution.Status?.StateChangeReason;
        throw new QueryError(`Athena query ${id} was cancelled${reason ? `: ${reason}` : ''}`, {
          queryExecutionId: id,
          state,
        });
      }
      const now = t.now();
      if (now >= end && end < budgetEnd) return this.stopForDeadline(id);
      if (now >= end) throw await this.stop(id, state, now - start);
      await t.sleep(Math.min(wait, end - now));
      wait = Math.min(wait * 2, t.pollMaxMs);
    }
  }

  private async poll(id: string): Promise<QueryExecution> {
    const get = () => this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    const { QueryExecution: execution } = await this.throttled('GetQueryExecution', get);
    return execution ?? { QueryExecutionId: id };
  }

  /**
   * Stops a query at the stage's deadline and waits until Athena says it has ended. One that
   * succeeded meanwhile is returned as done; one stopped is an OutOfTimeError, the stage's
   * saved progress then resumes the work. One Athena still says is running is a QueryError: a
   * re-run could clear a partition it still writes into, so the owners are told instead.
   */
  private async stopForDeadline(id: string): Promise<QueryExecution> {
    const t = this.timings;
    try {
      const stop = () => this.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
      await this.throttled('StopQueryExecution', stop);
    } catch (error) {
      throw new QueryError(
        `Athena query ${id} was still running at the stage's deadline and stopping it failed ` +
          `(${(error as Error)?.message}): stop it in the Athena console before running the stage again`,
        { queryExecutionId: id, cause: error },
      );
    }
    const until = t.now() + t.stopConfirmMs;
    let state: string | undefined;
    for (let wait = t.pollFirstMs; ; wait = Math.min(wait * 2, t.pollMaxMs)) {
      const execution = await this.poll(id);
      state = execution.Status?.State;
      if (state === 'SUCCEEDED') return execution;
      if (state === 'CANCELLED' || state === 'FAILED') break;
      if (t.now() >= until) {
        throw new QueryError(
          `Athena query ${id} was stopped at the stage's deadline but is still ${state ?? 'running'} after ` +
            `${Math.round(t.stopConfirmMs / 1000)} s: make sure it has ended (Athena console) ` +
            'before running the stage again',
          { queryExecutionId: id, ...(state ? { state } : {}) },
        );
      }
      await t.sleep(Math.min(wait, until - t.now()));
    }
    const at = new Date(this.deadline!).toISOString();
    throw new OutOfTimeError(
      `Athena query ${id} was stopped at the stage's deadline (${at}), its state ${state}; ` +
        'the stage resumes from its saved progress when invoked again',
    );
  }

  private async stop(id: string, state: string | undefined, elapsed: number): Promise<QueryTimeoutError> {
    let stopped = 'it was stopped';
    try {
      await this.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
    } catch (error) {
      stopped = `stopping it failed too (${(error as Error)?.name}: ${(error as Error)?.message}): stop it in the Athena console`;
    }
    // Not retryable: the same query against the same data takes as long again.
    return new QueryTimeoutError(
      `Athena query ${id} was still ${state ?? 'running'} after ${Math.round(elapsed / 1000)} s, past its poll budget of ${Math.round(this.timings.pollBudgetMs / 1000)} s; ${stopped}. Make the query scan less (partition filters) or raise the budget`,
      { queryExecutionId: id, ...(state ? { state } : {}) },
    );
  }

  /** Every page of a SELECT's results; the first row of the first page is the header Athena adds to DML results. */
  private async results(execution: QueryExecution): Promise<Row[]> {
    const id = execution.QueryExecutionId!;
    const hasHeader = execution.StatementType === undefined || execution.StatementType === 'DML';
    const rows: Row[] = [];
    let columns: ColumnInfo[] | undefined;
    let token: string | undefined;
    let first = true;
    do {
      const page = await this.throttled('GetQueryResults', () =>
        this.client.send(
          new GetQueryResultsCommand({
            QueryExecutionId: id,
            MaxResults: 1000,
            ...(token ? { NextToken: token } : {}),
          }),
        ),
      );
      columns ??= page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
      const data = page.ResultSet?.Rows ?? [];
      for (let i = first && hasHeader ? 1 : 0; i < data.length; i++) rows.push(decodeRow(id, columns, data[i]!));
      first = false;
      token = page.NextToken;
    } while (token);
    return rows;
  }

  /** Retries a throttled call with capped exponential backoff and jitter; any other error passes through typed. */
  private async throttled<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const t = this.timings;
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const { throttled, serverFault, unreachable, said } = sdkFacts(error);
        if (!throttled) {
          // A connection reset or timeout (the SDK retries none: maxAttempts 1) may pass; the
          // state machine retries the stage, which resumes from its saved progress.
          const retryable = serverFault || unreachable;
          throw new QueryError(`Athena ${operation} failed (${said})`, { cause: error, retryable });
        }
        if (attempt >= t.throttleAttempts) {
          throw new QueryError(`Athena is throttling ${operation} (${said}), still after ${attempt} attempts`, {
            cause: error,
            retryable: true,
          });
        }
        const ceiling = Math.min(t.throttleMaxMs, t.throttleFirstMs * 2 ** (attempt - 1));
        await t.sleep(Math.round(ceiling / 2 + (ceiling / 2) * t.random()));
      }
    }
  }
}

function failed(id: string, execution: QueryExecution): QueryError {
  const status = execution.Status ?? {};
  const reason = status.StateChangeReason ?? status.AthenaError?.ErrorMessage ?? 'no reason given';
  const athena = status.AthenaError;
  const throttled = throttledReason.test(reason);
  const retryable = athena?.Retryable === true || throttled;
  const category = athena?.ErrorCategory;
  const detail = athena
    ? ` (ErrorCategory ${category ?? '?'}${category && errorCategories[category] ? ` ${errorCategories[category]}` : ''}, ErrorType ${athena.ErrorType ?? '?'})`
    : '';
  const next = retryable
    ? 'Athena says running it again may succeed'
    : category === 2
      ? 'the SQL or the data is at fault: running it again fails the same way'
      : 'Athena says running it again will not help: open the query in the Athena console';
  return new QueryError(`Athena query ${id} failed: ${reason}${detail}; ${next}`, {
    queryExecutionId: id,
    state: 'FAILED',
    retryable,
    ...(category !== undefined ? { errorCategory: category } : {}),
    ...(athena?.ErrorType !== undefined ? { errorType: athena.ErrorType } : {}),
  });
}

/**
 * One result row, typed from ResultSetMetadata.ColumnInfo[].Type (Athena returns every value as
 * VarCharValue text). A Datum without VarCharValue is SQL NULL; VarCharValue '' is the empty string.
 */
function decodeRow(id: string, columns: ColumnInfo[], row: AthenaRow): Row {
  const out: Row = {};
  const data = row.Data ?? [];
  columns.forEach((column, i) => {
    const name = column.Name ?? column.Label ?? `_col${i}`;
    const text = data[i]?.VarCharValue;
    out[name] = text === undefined ? null : decodeValue(id, name, (column.Type ?? 'varchar').toLowerCase(), text);
  });
  return out;
}

function decodeValue(id: string, column: string, type: string, text: string): string | number | boolean {
  const base = type.replace(/\(.*$/, '').trim();
  const bad = () =>
    new QueryError(
      `Athena query ${id}: column ${column} of type ${type} holds ${JSON.stringify(text.slice(0, 40))}, which is not a ${base}`,
      { queryExecutionId: id },
    );
  switch (base) {
    case 'boolean':
      if (text === 'true') return true;
      if (text === 'false') return false;
      throw bad();
    case 'tinyint':
    case 'smallint':
    case 'integer':
    case 'int': {
      const n = Number(text);
      if (!Number.isInteger(n)) throw bad();
      return n;
    }
    case 'bigint': {
      // A bigint past 2^53 (a source's 64-bit id) stays the exact text: a number would round it.
      const n = Number(text);
      if (!/^-?\d+$/.test(text)) throw bad();
      return Number.isSafeInteger(n) ? n : text;
    }
    case 'double':
    case 'float':
    case 'real': {
      const n = Number(text);
      if (Number.isNaN(n) && text !== 'NaN') throw bad();
      return n;
    }
    case 'decimal':
      // Exact as Athena printed it: a decimal(38, 2) amount summed over a year passes 2^53 cents,
      // and a double would round it. Row allows string; the KPI code parses it where it needs a number.
      return text;
    default:
      // varchar, char, date ('2026-10-31'), timestamp ('2026-10-31 23:59:59.000'), and the rest: as Athena gives them.
      return text;
  }
}
