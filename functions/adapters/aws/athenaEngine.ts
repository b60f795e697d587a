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
import { asSubquery, sqlString } from '../../dialect/sqlText.ts';
import { PulseError, QueryError, QueryTimeoutError } from '../../errors.ts';
import type { LandedPart } from '../../ports/source.ts';
import type { QueryEngine, Row, TableLocation } from '../../ports/queryEngine.ts';
import { sdkFacts } from './sdkErrors.ts';

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
}

/** A FAILED query's StateChangeReason when Athena or S3 throttled it rather than the SQL being wrong. */
const throttledReason = /throttl|rate exceeded|too many requests|slow ?down/i;
const errorCategories: Record<number, string> = { 1: 'system', 2: 'user', 3: 'other' };

const isThrottling = (error: unknown) => sdkFacts(error).throttled;

/** The query engine in AWS: Athena (engine v3, Trino) over the Glue tables the CDK stack defines. */
export class AthenaEngine implements QueryEngine {
  readonly dialect = 'trino';
  private readonly client: AthenaClient;
  private readonly timings: AthenaTimings;
  private readonly ownsClient: boolean;

  constructor(private readonly options: AthenaEngineOptions) {
    // maxAttempts 1: throttling is retried here, with waits sized for Athena's per-account quotas;
    // the SDK's own attempts inside each of ours would multiply them.
    this.client = options.client ?? new AthenaClient({ ...(options.region ? { region: options.region } : {}), maxAttempts: 1 });
    this.ownsClient = !options.client;
    this.timings = { ...defaultAthenaTimings, ...options.timings };
  }

  async registerTables(tables: TableLocation[]): Promise<void> {
    throw new PulseError(
      `cannot register ${tables.map((t) => t.name).join(', ')} in Athena: Glue tables are created by the CDK stack (infra/), from the zod schemas; deploy the stack instead`,
    );
  }

  async registerLanded(part: LandedPart): Promise<void> {
    throw new PulseError(`cannot read the landed part ${part.key} in Athena yet: the raw tables over raw/ are created by the CDK stack (infra/), and curate on Athena is not built yet; curate with a local lake`);
  }

  async releaseLanded(): Promise<void> {}

  async createTable(name: string, sql: string): Promise<void> {
    await this.execute(`create table ${name} as ${asSubquery(sql)}`);
  }

  async createView(name: string, sql: string): Promise<void> {
    await this.execute(`create or replace view ${name} as ${asSubquery(sql)}`);
  }

  async query(sql: string): Promise<Row[]> {
    const execution = await this.execute(sql);
    return this.results(execution);
  }

  /**
   * UNLOAD writes only into an empty location, except into new partitions (Athena User Guide,
   * UNLOAD): so the partitions being written are cleared first, as DuckDbEngine does. With
   * partitioned_by the partition column must be the SELECT's last; UNLOAD writes at most 100
   * partitions per query.
   */
  async writeParquet(sql: string, prefix: string, options: { partitionByMonth: boolean; months?: string[] }): Promise<void> {
    const clear = this.options.clearPrefix;
    if (!clear) {
      throw new PulseError('AthenaEngine.writeParquet replaces what the written partitions held and needs clearPrefix (the S3 object store) in its options');
    }
    const base = prefix.replace(/^\/+|\/+$/g, '');
    if (options.partitionByMonth && options.months) {
      for (const month of options.months) await clear(`${base}/month=${month}/`);
    } else {
      await clear(`${base}/`);
    }
    const location = `${this.options.lake.replace(/\/+$/, '')}/${base}/`;
    const partitioned = options.partitionByMonth ? ", partitioned_by = ARRAY['month']" : '';
    await this.execute(`unload (${asSubquery(sql)}) to ${sqlString(location)} with (format = 'PARQUET', compression = 'ZSTD'${partitioned})`);
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }

  /** Starts a statement and waits until it SUCCEEDED; a FAILED or CANCELLED one, or one past the budget, throws QueryError. */
  private async execute(sql: string): Promise<QueryExecution> {
    const { workGroup, database, catalog = 'AwsDataCatalog', outputLocation } = this.options;
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
    let wait = t.pollFirstMs;
    for (;;) {
      const { QueryExecution: execution } = await this.throttled('GetQueryExecution', () => this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })));
      const state = execution?.Status?.State;
      if (state === 'SUCCEEDED') return execution!;
      if (state === 'FAILED') throw failed(id, execution!);
      if (state === 'CANCELLED') {
        const reason = execution?.Status?.StateChangeReason;
        throw new QueryError(`Athena query ${id} was cancelled${reason ? `: ${reason}` : ''}`, { queryExecutionId: id, state });
      }
      const elapsed = t.now() - start;
      if (elapsed >= t.pollBudgetMs) throw await this.stop(id, state, elapsed);
      await t.sleep(Math.min(wait, t.pollBudgetMs - elapsed));
      wait = Math.min(wait * 2, t.pollMaxMs);
    }
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
        this.client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1000, ...(token ? { NextToken: token } : {}) })),
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
        const name = (error as Error)?.name ?? 'Error';
        const said = `${name}: ${(error as Error)?.message ?? ''}`;
        if (!isThrottling(error)) {
          const status = (error as { $fault?: string })?.$fault;
          throw new QueryError(`Athena ${operation} failed (${said})`, { cause: error, retryable: status === 'server' });
        }
        if (attempt >= t.throttleAttempts) {
          throw new QueryError(`Athena is throttling ${operation} (${said}), still after ${attempt} attempts`, { cause: error, retryable: true });
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
  const detail = athena ? ` (ErrorCategory ${category ?? '?'}${category && errorCategories[category] ? ` ${errorCategories[category]}` : ''}, ErrorType ${athena.ErrorType ?? '?'})` : '';
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
  const bad = () => new QueryError(`Athena query ${id}: column ${column} of type ${type} holds ${JSON.stringify(text.slice(0, 40))}, which is not a ${base}`, { queryExecutionId: id });
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
