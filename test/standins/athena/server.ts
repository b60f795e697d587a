import { appendFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { stackCatalog, type CatalogTable } from './catalog.ts';
import { AthenaFailure, StandInEngine, type Outcome } from './engine.ts';
import { LakeS3 } from './s3.ts';

/**
 * The Athena stand-in: the Athena JSON 1.1 API Pulse calls (StartQueryExecution,
 * GetQueryExecution, GetQueryResults, StopQueryExecution) and the Glue calls that read the
 * catalog, served on loopback, executing on DuckDB over a lake reached through S3 (s3rver).
 * Clients point AWS_ENDPOINT_URL_ATHENA and AWS_ENDPOINT_URL_GLUE at `url`.
 * API reference: https://docs.aws.amazon.com/athena/latest/APIReference/API_Operations.html
 */
export interface LoggedStatement {
  statement: string;
  state: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  error?: string;
}

export interface AthenaLocalOptions {
  /** The S3 API the lake and the results live behind. */
  s3Endpoint: string;
  /** The workgroup's query results location: s3://bucket/prefix/. */
  results: string;
  port?: number;
  /** Appends one JSON line per statement: {"statement", "state", "error"}. */
  statementsFile?: string;
  /** The lake bucket the stack's Glue tables point into; default 'pulse-lake'. */
  lakeBucket?: string;
  /** The Glue database; default 'pulse'. */
  database?: string;
  /** The clock partition projection reads NOW from (a range ending at NOW+10YEARS); default the system's. */
  now?: () => Date;
}

export interface AthenaLocal {
  url: string;
  port: number;
  statements: LoggedStatement[];
  close(): Promise<void>;
}

type State = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

interface Execution {
  id: string;
  query: string;
  workGroup: string;
  database: string;
  state: State;
  submitted: number;
  started?: number;
  completed?: number;
  failure?: AthenaFailure;
  reason?: string;
  outcome?: Outcome;
  stopRequested?: boolean;
}

/** Athena's quota on a query string: 262,144 bytes, not adjustable (https://docs.aws.amazon.com/athena/latest/ug/service-limits.html). */
export const maxQueryBytes = 262_144;

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export async function startAthenaLocal(opts: AthenaLocalOptions): Promise<AthenaLocal> {
  const database = opts.database ?? 'pulse';
  const results = opts.results.replace(/\/?$/, '/');
  const cache = await mkdtemp(path.join(tmpdir(), 'athena-local-'));
  const s3 = new LakeS3(opts.s3Endpoint, path.join(cache, 'lake'));
  const catalog = stackCatalog(opts.lakeBucket ?? 'pulse-lake', database);
  const engine = new StandInEngine({ s3, tables: catalog.tables, workgroup: catalog.workgroup, results, database, scratch: path.join(cache, 'write'), now: opts.now ?? (() => new Date()) });
  await engine.open();

  const statements: LoggedStatement[] = [];
  const executions = new Map<string, Execution>();
  const byToken = new Map<string, string>();
  const queue: Execution[] = [];
  let running: Execution | undefined;

  const log = (statement: string, state: LoggedStatement['state'], error?: string) => {
    statements.push({ statement, state, ...(error !== undefined ? { error } : {}) });
    if (opts.statementsFile) appendFileSync(opts.statementsFile, `${JSON.stringify({ statement, state, error: error ?? null })}\n`);
  };

  const finish = (e: Execution, state: 'SUCCEEDED' | 'FAILED' | 'CANCELLED', failure?: AthenaFailure) => {
    e.state = state;
    e.completed = Date.now();
    e.failure = failure;
    if (state === 'CANCELLED') e.reason = 'Query was cancelled by user';
    else if (failure) e.reason = failure.message;
    log(e.query, state, e.reason);
  };

  /** One statement at a time, in the order they came, as one DuckDB connection runs them. */
  const pump = () => {
    if (running) return;
    const next = queue.shift();
    if (!next) return;
    running = next;
    next.state = 'RUNNING';
    next.started = Date.now();
    engine
      .execute(next.id, next.query)
      .then(
        (outcome) => {
          if (next.stopRequested) return finish(next, 'CANCELLED');
          next.outcome = outcome;
          finish(next, 'SUCCEEDED');
        },
        (error: unknown) => {
          if (next.stopRequested) return finish(next, 'CANCELLED');
          const failure = error instanceof AthenaFailure ? error : new AthenaFailure(`GENERIC_INTERNAL_ERROR: ${(error as Error)?.message ?? error}`, 1, 200);
          finish(next, 'FAILED', failure);
        },
      )
      .finally(() => {
        running = undefined;
        setImmediate(pump);
      });
  };

  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    'AmazonAthena.StartQueryExecution': (input) => {
      const query = String(input.QueryString ?? '');
      const token = input.ClientRequestToken as string | undefined;
      if (token && byToken.has(token)) return { QueryExecutionId: byToken.get(token) };
      // Refused at the API, before a query exists: InvalidRequestException, as the SDK sees it
      // (https://repost.aws/knowledge-center/athena-query-string-length).
      if (Buffer.byteLength(query, 'utf8') > maxQueryBytes) {
        const message = `1 validation error detected: Value at 'queryString' failed to satisfy constraint: Member must have length less than or equal to ${maxQueryBytes}`;
        log(query, 'FAILED', message);
        throw new ApiError('InvalidRequestException', message);
      }
      if (query.trim() === '') throw new ApiError('InvalidRequestException', "1 validation error detected: Value at 'queryString' failed to satisfy constraint: Member must have length greater than or equal to 1");
      const id = randomUUID();
      if (token) byToken.set(token, id);
      const context = (input.QueryExecutionContext ?? {}) as { Database?: string };
      const execution: Execution = { id, query, workGroup: String(input.WorkGroup ?? 'primary'), database: context.Database ?? database, state: 'QUEUED', submitted: Date.now() };
      executions.set(id, execution);
      queue.push(execution);
      setImmediate(pump);
      return { QueryExecutionId: id };
    },
    'AmazonAthena.GetQueryExecution': (input) => ({ QueryExecution: describe(found(input.QueryExecutionId)) }),
    'AmazonAthena.BatchGetQueryExecution': (input) => {
      const ids = (input.QueryExecutionIds as string[]) ?? [];
      return {
        QueryExecutions: ids.filter((id) => executions.has(id)).map((id) => describe(executions.get(id)!)),
        UnprocessedQueryExecutionIds: ids.filter((id) => !executions.has(id)).map((id) => ({ QueryExecutionId: id, ErrorCode: 'INVALID_INPUT', ErrorMessage: 'QueryExecution not found' })),
      };
    },
    'AmazonAthena.StopQueryExecution': (input) => {
      const e = found(input.QueryExecutionId);
      if (e.state === 'QUEUED') {
        queue.splice(queue.indexOf(e), 1);
        finish(e, 'CANCELLED');
      } else if (e.state === 'RUNNING') {
        e.stopRequested = true;
        engine.interrupt();
      }
      return {};
    },
    'AmazonAthena.GetQueryResults': (input) => page(found(input.QueryExecutionId), input),
    'AmazonAthena.GetWorkGroup': (input) => ({
      WorkGroup: {
        Name: input.WorkGroup,
        State: 'ENABLED',
        Configuration: {
          ResultConfiguration: { OutputLocation: results },
          EnforceWorkGroupConfiguration: catalog.workgroup.enforced,
          BytesScannedCutoffPerQuery: catalog.workgroup.bytesScannedCutoffPerQuery,
          EngineVersion: { SelectedEngineVersion: 'Athena engine version 3', EffectiveEngineVersion: 'Athena engine version 3' },
        },
      },
    }),
    'AWSGlue.GetDatabase': (input) => {
      if (String(input.Name).toLowerCase() !== database) throw new ApiError('EntityNotFoundException', `Database ${input.Name} not found.`);
      return { Database: { Name: database, CatalogId: '000000000000' } };
    },
    'AWSGlue.GetTable': (input) => {
      const table = String(input.DatabaseName).toLowerCase() === database ? engine.table(String(input.Name)) : undefined;
      if (!table) throw new ApiError('EntityNotFoundException', `Table ${input.Name} not found.`);
      return { Table: glueTable(table, database) };
    },
    'AWSGlue.GetTables': (input) => {
      if (String(input.DatabaseName).toLowerCase() !== database) throw new ApiError('EntityNotFoundException', `Database ${input.DatabaseName} not found.`);
      return { TableList: engine.allTables().map((t) => glueTable(t, database)) };
    },
  };

  function found(id: unknown): Execution {
    const e = executions.get(String(id));
    if (!e) throw new ApiError('InvalidRequestException', `QueryExecution ${id} was not found`);
    return e;
  }

  /** A QueryExecution as GetQueryExecution returns it (https://docs.aws.amazon.com/athena/latest/APIReference/API_QueryExecution.html). */
  function describe(e: Execution) {
    const done = e.completed ?? Date.now();
    const engineMs = e.started ? done - e.started : 0;
    const queueMs = (e.started ?? done) - e.submitted;
    const failure = e.failure;
    return {
      QueryExecutionId: e.id,
      Query: e.query,
      StatementType: e.outcome?.statementType ?? statementTypeOf(e.query),
      ...(e.outcome ? { SubstatementType: e.outcome.substatementType } : {}),
      ResultConfiguration: { OutputLocation: `${results}${e.id}.csv` },
      ResultReuseConfiguration: { ResultReuseByAgeConfiguration: { Enabled: false } },
      QueryExecutionContext: { Database: e.database, Catalog: 'awsdatacatalog' },
      Status: {
        State: e.state,
        SubmissionDateTime: e.submitted / 1000,
        ...(e.completed ? { CompletionDateTime: e.completed / 1000 } : {}),
        ...(e.reason ? { StateChangeReason: e.reason } : {}),
        ...(failure ? { AthenaError: { ErrorCategory: failure.category, ErrorType: failure.type, Retryable: false, ErrorMessage: failure.message } } : {}),
      },
      Statistics: {
        EngineExecutionTimeInMillis: engineMs,
        DataScannedInBytes: e.outcome?.dataScannedInBytes ?? 0,
        TotalExecutionTimeInMillis: done - e.submitted,
        QueryQueueTimeInMillis: queueMs,
        ServicePreProcessingTimeInMillis: 0,
        QueryPlanningTimeInMillis: 0,
        ServiceProcessingTimeInMillis: 0,
        ResultReuseInformation: { ReusedPreviousResult: false },
      },
      WorkGroup: e.workGroup,
      EngineVersion: { SelectedEngineVersion: 'AUTO', EffectiveEngineVersion: 'Athena engine version 3' },
    };
  }

  /**
   * One page of a query's results: at most MaxResults (1–1000) rows, the header row (the column
   * names) first on the first page of a DML query, NextToken while rows remain
   * (https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html).
   */
  function page(e: Execution, input: Record<string, unknown>) {
    if (e.state === 'QUEUED' || e.state === 'RUNNING') throw new ApiError('InvalidRequestException', `Query has not yet finished. Current state: ${e.state}`);
    if (e.state !== 'SUCCEEDED') throw new ApiError('InvalidRequestException', `Query did not finish successfully. Final query state: ${e.state}\n${e.reason ?? ''}`.trim());
    const max = input.MaxResults === undefined ? 1000 : Number(input.MaxResults);
    if (!Number.isInteger(max) || max < 1 || max > 1000) {
      throw new ApiError('InvalidRequestException', `1 validation error detected: Value '${input.MaxResults}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`);
    }
    const outcome = e.outcome!;
    const header = outcome.statementType === 'DML' && outcome.columns.length > 0 ? [outcome.columns.map((c) => c.name)] : [];
    const all = [...header, ...outcome.rows];
    let from = 0;
    if (input.NextToken !== undefined) {
      const token = decodeToken(String(input.NextToken));
      if (!token || token.id !== e.id) throw new ApiError('InvalidRequestException', 'The NextToken is invalid for this query');
      from = token.from;
    }
    const rows = all.slice(from, from + max);
    const next = from + max < all.length ? Buffer.from(JSON.stringify({ id: e.id, from: from + max })).toString('base64url') : undefined;
    return {
      UpdateCount: 0,
      ResultSet: {
        Rows: rows.map((row) => ({ Data: row.map((v) => (v === null ? {} : { VarCharValue: v })) })),
        ResultSetMetadata: {
          ColumnInfo: outcome.columns.map((c) => ({
            CatalogName: 'hive',
            SchemaName: '',
            TableName: '',
            Name: c.name,
            Label: c.name,
            Type: c.type,
            Precision: c.precision,
            Scale: c.scale,
            Nullable: 'UNKNOWN',
            CaseSensitive: c.type === 'varchar',
          })),
        },
      },
      ...(next ? { NextToken: next } : {}),
    };
  }

  const server = createServer((request, response) => void handle(request, response));
  // The SDK keeps sockets alive between polls that may wait 5 s; Node closes an idle one after 5 s
  // by default, racing the next poll into "socket hang up". Athena's endpoints hold them longer.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  async function handle(request: IncomingMessage, response: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target'] ?? '');
    const reply = (status: number, body: unknown, type?: string) => {
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID(), ...(type ? { 'x-amzn-errortype': type } : {}) });
      response.end(JSON.stringify(body));
    };
    try {
      const operation = operations[target];
      if (!operation) throw new ApiError('UnknownOperationException', `The Athena stand-in does not answer ${target || 'a request without X-Amz-Target'}`);
      const input = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      reply(200, operation(input));
    } catch (error) {
      const api = error instanceof ApiError ? error : new ApiError('InternalServerException', (error as Error)?.message ?? String(error), 500);
      reply(api.status, { __type: api.type, Message: api.message, message: api.message }, api.type);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    statements,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const e of queue.splice(0)) finish(e, 'CANCELLED');
      if (running) {
        running.stopRequested = true;
        engine.interrupt();
        while (running) await new Promise((r) => setTimeout(r, 10));
      }
      await engine.close();
      await s3.close();
      await rm(cache, { recursive: true, force: true });
    },
  };
}

function statementTypeOf(query: string): 'DML' | 'DDL' | 'UTILITY' {
  const head = query.trim().slice(0, 40).toLowerCase();
  if (/^create\s+table\b/.test(head)) return 'DML';
  if (/^(drop|create|alter|msck)\b/.test(head)) return 'DDL';
  if (/^(show|describe|explain)\b/.test(head)) return 'UTILITY';
  return 'DML';
}

function decodeToken(token: string): { id: string; from: number } | undefined {
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { id: string; from: number };
  } catch {
    return undefined;
  }
}

/** A catalog table as Glue's GetTable returns it (https://docs.aws.amazon.com/glue/latest/webapi/API_Table.html). */
function glueTable(table: CatalogTable, database: string) {
  return {
    Name: table.name,
    DatabaseName: database,
    TableType: 'EXTERNAL_TABLE',
    Parameters: table.parameters,
    PartitionKeys: table.partitionKeys.map((k) => ({ Name: k.name, Type: k.type })),
    StorageDescriptor: { Location: table.location, Columns: table.columns.map((c) => ({ Name: c.name, Type: c.type })) },
  };
}
