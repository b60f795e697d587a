import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  InvalidRequestException,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  TooManyRequestsException,
  type ColumnInfo,
  type GetQueryExecutionOutput,
  type GetQueryResultsOutput,
  type QueryExecutionState,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AthenaEngine, type AthenaTimings } from '../../functions/adapters/aws/athenaEngine.ts';
import { ManifestConflictError } from '../../functions/adapters/aws/tableManifests.ts';
import { OutOfTimeError, QueryError, QueryTimeoutError } from '../../functions/errors.ts';
import { memoryManifests } from '../support/memoryManifests.ts';

/** Athena at the SDK boundary, with the response shapes of the Athena API reference (GetQueryExecution, GetQueryResults, AthenaError). */
const athena = mockClient(AthenaClient);

beforeEach(() => athena.reset());
afterAll(() => athena.restore());

const id = 'c0ffee00-1234-4abc-9def-000000000001';

/** A fake clock that sleep advances: the poll budget is measured on it. */
function fakeTimings(overrides: Partial<AthenaTimings> = {}): Partial<AthenaTimings> & { waits: number[] } {
  let now = 0;
  const waits: number[] = [];
  return {
    waits,
    pollFirstMs: 100,
    pollMaxMs: 400,
    pollBudgetMs: 60_000,
    throttleAttempts: 4,
    throttleFirstMs: 1_000,
    throttleMaxMs: 8_000,
    random: () => 1,
    now: () => now,
    sleep: async (ms) => {
      waits.push(ms);
      now += ms;
    },
    ...overrides,
  };
}

function engine(timings = fakeTimings(), extra: Partial<ConstructorParameters<typeof AthenaEngine>[0]> = {}) {
  return new AthenaEngine({
    workGroup: 'pulse',
    database: 'pulse_lake',
    lake: 's3://pulse-lake-123',
    client: new AthenaClient({ region: 'eu-west-1' }),
    timings,
    ...extra,
  });
}

function execution(
  state: QueryExecutionState,
  status: Partial<NonNullable<NonNullable<GetQueryExecutionOutput['QueryExecution']>['Status']>> = {},
): GetQueryExecutionOutput {
  return {
    QueryExecution: {
      QueryExecutionId: id,
      Query: 'select 1',
      StatementType: 'DML',
      WorkGroup: 'pulse',
      QueryExecutionContext: { Database: 'pulse_lake', Catalog: 'AwsDataCatalog' },
      Status: { State: state, SubmissionDateTime: new Date('2026-11-01T06:00:00Z'), ...status },
    },
  };
}

/** ColumnInfo as GetQueryResults documents it: Type lowercase, decimals with Precision and Scale. */
function column(name: string, type: string, extra: Partial<ColumnInfo> = {}): ColumnInfo {
  return {
    CatalogName: 'hive',
    SchemaName: '',
    TableName: '',
    Name: name,
    Label: name,
    Type: type,
    Precision: 0,
    Scale: 0,
    Nullable: 'UNKNOWN',
    CaseSensitive: type === 'varchar',
    ...extra,
  };
}

const datum = (value: string | null) => (value === null ? {} : { VarCharValue: value });

function page(
  columns: ColumnInfo[],
  rows: (string | null)[][],
  options: { header?: boolean; nextToken?: string } = {},
): GetQueryResultsOutput {
  const header = options.header ? [{ Data: columns.map((c) => ({ VarCharValue: c.Name! })) }] : [];
  return {
    UpdateCount: 0,
    ResultSet: {
      Rows: [...header, ...rows.map((r) => ({ Data: r.map(datum) }))],
      ResultSetMetadata: { ColumnInfo: columns },
    },
    ...(options.nextToken ? { NextToken: options.nextToken } : {}),
  };
}

describe('Athena query', () => {
  it('starts in the workgroup and database, polls QUEUED and RUNNING with doubling waits, then reads the results', async () => {
    // prepare
    const cols = [column('tickets_created', 'bigint')];
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce(execution('QUEUED'))
      .resolvesOnce(execution('RUNNING'))
      .resolvesOnce(execution('RUNNING'))
      .resolvesOnce(execution('RUNNING'))
      .resolves(execution('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves(page(cols, [['412']], { header: true }));
    const timings = fakeTimings();
    // act
    const rows = await engine(timings, { outputLocation: 's3://pulse-athena-results/' }).query(
      'select count(*) as tickets_created from tickets',
    );
    // assess
    expect(rows).toEqual([{ tickets_created: 412 }]);
    expect(athena).toHaveReceivedCommandWith(StartQueryExecutionCommand, {
      QueryString: 'select count(*) as tickets_created from tickets',
      WorkGroup: 'pulse',
      QueryExecutionContext: { Database: 'pulse_lake', Catalog: 'AwsDataCatalog' },
      ResultConfiguration: { OutputLocation: 's3://pulse-athena-results/' },
    });
    expect(athena).toHaveReceivedCommandTimes(GetQueryExecutionCommand, 5);
    // 100 → 200 → 400, capped at pollMaxMs 400.
    expect(timings.waits).toEqual([100, 200, 400, 400]);
    expect(athena).toHaveReceivedCommandWith(GetQueryResultsCommand, { QueryExecutionId: id, MaxResults: 1000 });
  });

  it('leaves ResultConfiguration out when the workgroup holds the results location', async () => {
    // prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves(page([column('x', 'integer')], [], { header: true }));
    // act
    const rows = await engine().query('select 1 as x where false');
    // assess
    expect(rows).toEqual([]);
    expect(Object.keys(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input).sort()).toEqual([
      'ClientRequestToken',
      'QueryExecutionContext',
      'QueryString',
      'WorkGroup',
    ]);
  });

  it('pages past 1,000 rows with NextToken: 2,345 rows over 3 pages, the header skipped once', async () => {
    // prepare
    const cols = [column('ticket_id', 'varchar'), column('n', 'integer')];
    const rows = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => [`t-${from + i}`, String(from + i)]);
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
    // The first page holds the header plus 999 rows: MaxResults counts the header.
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: id, MaxResults: 1000, NextToken: undefined })
      .resolves(page(cols, rows(0, 999), { header: true, nextToken: 'page-2' }))
      .on(GetQueryResultsCommand, { NextToken: 'page-2' })
      .resolves(page(cols, rows(999, 1000), { nextToken: 'page-3' }))
      .on(GetQueryResultsCommand, { NextToken: 'page-3' })
      .resolves(page(cols, rows(1999, 346)));
    // act
    const result = await engine().query('select ticket_id, n from tickets');
    // assess
    expect(result).toHaveLength(2_345);
    expect(result[0]).toEqual({ ticket_id: 't-0', n: 0 });
    expect(result[999]).toEqual({ ticket_id: 't-999', n: 999 });
    expect(result[2_344]).toEqual({ ticket_id: 't-2344', n: 2_344 });
    expect(result.some((r) => r.ticket_id === 'ticket_id')).toBe(false);
    const calls = athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { QueryExecutionId: id, MaxResults: 1000 },
      { QueryExecutionId: id, MaxResults: 1000, NextToken: 'page-2' },
      { QueryExecutionId: id, MaxResults: 1000, NextToken: 'page-3' },
    ]);
  });

  it('types every column from ColumnInfo.Type, keeps decimals and unsafe bigints exact, and tells NULL from the empty string', async () => {
    // prepare
    const cols = [
      column('name', 'varchar'),
      column('code', 'char', { Precision: 3 }),
      column('is_escalated', 'boolean'),
      column('reopens', 'tinyint'),
      column('agent_replies', 'smallint'),
      column('handle_seconds', 'integer'),
      column('tickets', 'bigint'),
      column('external_id', 'bigint'),
      column('p90_seconds', 'double'),
      column('share', 'float'),
      column('ratio', 'real'),
      column('trc', 'decimal', { Precision: 38, Scale: 2 }),
      column('created_date', 'date'),
      column('created_at', 'timestamp'),
      column('comment', 'varchar'),
    ];
    const full = [
      'Acme',
      'EUR',
      'true',
      '3',
      '12',
      '86400',
      '1234567',
      '9223372036854775807',
      '3600.5',
      '0.25',
      '1.0E-4',
      '123456789012345678.91',
      '2026-10-31',
      '2026-10-31 23:59:59.123',
      '',
    ];
    const nulls = Array.from({ length: cols.length }, () => null);
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
    athena
      .on(GetQueryResultsCommand)
      .resolves(
        page(
          cols,
          [
            full,
            nulls,
            [
              '',
              '',
              'false',
              '-1',
              '0',
              '-5',
              '-42',
              '0',
              'NaN',
              'Infinity',
              '-0.5',
              '0.00',
              '1970-01-01',
              '1970-01-01 00:00:00.000',
              null,
            ],
          ],
          { header: true },
        ),
      );
    // act
    const [typed, allNull, edges] = await engine().query('select …');
    // assess
    expect(typed).toEqual({
      name: 'Acme',
      code: 'EUR',
      is_escalated: true,
      reopens: 3,
      agent_replies: 12,
      handle_seconds: 86_400,
      tickets: 1_234_567,
      external_id: '9223372036854775807',
      p90_seconds: 3600.5,
      share: 0.25,
      ratio: 0.0001,
      trc: '123456789012345678.91',
      created_date: '2026-10-31',
      created_at: '2026-10-31 23:59:59.123',
      comment: '',
    });
    expect(Object.values(allNull!).every((v) => v === null)).toBe(true);
    expect(edges).toMatchObject({
      name: '',
      code: '',
      is_escalated: false,
      reopens: -1,
      tickets: -42,
      external_id: 0,
      p90_seconds: NaN,
      share: Infinity,
      trc: '0.00',
      comment: null,
    });
  });

  it('throws a QueryError on a value its type cannot hold', async () => {
    // prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves(page([column('n', 'integer')], [['twelve']], { header: true }));
    // act
    const failure = await engine()
      .query('select n')
      .catch((e: unknown) => e);
    // assess
    expect(failure).toBeInstanceOf(QueryError);
    expect((failure as QueryError).message).toBe(
      `Athena query ${id}: column n of type integer holds "twelve", which is not a integer`,
    );
  });

  it('does not skip a first row for a statement without a header (UTILITY: SHOW, DESCRIBE)', async () => {
    // prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena
      .on(GetQueryExecutionCommand)
      .resolves({ QueryExecution: { ...execution('SUCCEEDED').QueryExecution, StatementType: 'UTILITY' } });
    athena.on(GetQueryResultsCommand).resolves(page([column('tab_name', 'string')], [['tickets'], ['costs']]));
    // act
    const rows = await engine().query('show tables');
    // assess
    expect(rows).toEqual([{ tab_name: 'tickets' }, { tab_name: 'costs' }]);
  });
});

describe('Athena failures', () => {
  it('FAILED with a user error: the reason and the AthenaError in the message, not retryable, no results read', async () => {
    // prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce(execution('RUNNING'))
      .resolves(
        execution('FAILED', {
          StateChangeReason:
            "COLUMN_NOT_FOUND: line 1:8: Column 'solved_on' cannot be resolved or requester is not authorized to access requested resources",
          AthenaError: {
            ErrorCategory: 2,
            ErrorType: 1006,
            Retryable: false,
            ErrorMessage: "COLUMN_NOT_FOUND: line 1:8: Column 'solved_on' cannot be resolved",
          },
        }),
      );
    // act
    const failure = (await engine()
      .query('select solved_on from tickets')
      .catch((e: unknown) => e)) as QueryError;
    // assess
    expect(failure).toBeInstanceOf(QueryError);
    expect(failure.retryable).toBe(false);
    expect(failure.queryExecutionId).toBe(id);
    expect(failure.state).toBe('FAILED');
    expect(failure.errorCategory).toBe(2);
    expect(failure.errorType).toBe(1006);
    expect(failure.message).toBe(
      `Athena query ${id} failed: COLUMN_NOT_FOUND: line 1:8: Column 'solved_on' cannot be resolved or requester is not authorized to access requested resources (ErrorCategory 2 user, ErrorType 1006); the SQL or the data is at fault: running it again fails the same way`,
    );
    expect(athena).toHaveReceivedCommandTimes(StartQueryExecutionCommand, 1);
    expect(athena).toHaveReceivedCommandTimes(GetQueryResultsCommand, 0);
  });

  it('FAILED with Retryable true: retryable, and the query is not resubmitted here', async () => {
    // prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena.on(GetQueryExecutionCommand).resolves(
      execution('FAILED', {
        StateChangeReason: 'Query exhausted resources at this scale factor',
        AthenaError: {
          ErrorCategory: 1,
          ErrorType: 401,
          Retryable: true,
          ErrorMessage: 'Failed to write query results to Amazon S3',
        },
      }),
    );
    // act
    const failure = (await engine()
      .query('select 1')
      .catch((e: unknown) => e)) as QueryError;
    // assess
    expect(failure.retryable).toBe(true);
    expect(failure.message).toContain(
      'Query exhausted resources at this scale factor (ErrorCategory 1 system, ErrorType 401); Athena says running it again may succeed',
    );
    expect(athena).toHaveReceivedCommandTimes(StartQueryExecutionCommand, 1);
  });

  it('FAILED by throttling (Retryable false): retryable all the same', async () => {
    // prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena.on(GetQueryExecutionCommand).resolves(
      execution('FAILED', {
        StateChangeReason:
          'HIVE_CANNOT_OPEN_SPLIT: Error opening Hive split: Rate exceeded (Service: Amazon S3; Status Code: 503; Error Code: SlowDown)',
        AthenaError: { ErrorCategory: 1, ErrorType: 200, Retryable: false },
      }),
    );
    // act
    const failure = (await engine()
      .query('select 1')
      .catch((e: unknown) => e)) as QueryError;
    // assess
    expect(failure.retryable).toBe(true);
  });

  it('a dropped connection while polling: a retryable QueryError (the stage is run again and resumes)', async () => {
    // prepare: what the SDK's Node handler raises when the server closes a kept-alive socket.
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena
      .on(GetQueryExecutionCommand)
      .rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' }));
    // act
    const failure = (await engine()
      .query('select 1')
      .catch((e: unknown) => e)) as QueryError;
    // assess
    expect(failure.message).toBe('Athena GetQueryExecution failed (TimeoutError: socket hang up)');
    expect(failure.retryable).toBe(true);
  });

  it('CANCELLED: a QueryError naming the query, not retryable', async () => {
    // prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena
      .on(GetQueryExecutionCommand)
      .resolves(execution('CANCELLED', { StateChangeReason: 'Query was cancelled by user' }));
    // act
    const failure = (await engine()
      .query('select 1')
      .catch((e: unknown) => e)) as QueryError;
    // assess
    expect(failure.message).toBe(`Athena query ${id} was cancelled: Query was cancelled by user`);
    expect(failure.retryable).toBe(false);
  });

  it('retries a throttled StartQueryExecution twice with growing waits, then runs', async () => {
    // prepare
    const throttled = () =>
      new TooManyRequestsException({
        $metadata: { httpStatusCode: 400 },
        message: 'Rate exceeded',
        Reason: 'CONCURRENT_QUERY_LIMIT_EXCEEDED',
      });
    athena
      .on(StartQueryExecutionCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves({ QueryExecutionId: id });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves(page([column('x', 'integer')], [['1']], { header: true }));
    const timings = fakeTimings();
    // act
    const rows = await engine(timings).query('select 1 as x');
    // assess
    expect(rows).toEqual([{ x: 1 }]);
    expect(athena).toHaveReceivedCommandTimes(StartQueryExecutionCommand, 3);
    expect(timings.waits).toEqual([1_000, 2_000]);
    // The same ClientRequestToken each time: Athena runs an accepted start once.
    const tokens = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input.ClientRequestToken);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('retries throttled polls and result pages as well', async () => {
    // prepare
    const throttled = () =>
      new TooManyRequestsException({ $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' });
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena.on(GetQueryExecutionCommand).rejectsOnce(throttled()).resolves(execution('SUCCEEDED'));
    athena
      .on(GetQueryResultsCommand)
      .rejectsOnce(throttled())
      .resolves(page([column('x', 'integer')], [['7']], { header: true }));
    const timings = fakeTimings();
    // act
    const rows = await engine(timings).query('select 7 as x');
    // assess
    expect(rows).toEqual([{ x: 7 }]);
    expect(athena).toHaveReceivedCommandTimes(GetQueryExecutionCommand, 2);
    expect(athena).toHaveReceivedCommandTimes(GetQueryResultsCommand, 2);
    expect(timings.waits).toEqual([1_000, 1_000]);
  });

  it('gives up after the throttle attempts with a retryable QueryError', async () => {
    // prepare
    athena
      .on(StartQueryExecutionCommand)
      .rejects(new TooManyRequestsException({ $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }));
    const timings = fakeTimings({ throttleAttempts: 3 });
    // act
    const failure = (await engine(timings)
      .query('select 1')
      .catch((e: unknown) => e)) as QueryError;
    // assess
    expect(athena).toHaveReceivedCommandTimes(StartQueryExecutionCommand, 3);
    expect(failure.retryable).toBe(true);
    expect(failure.message).toBe(
      'Athena is throttling StartQueryExecution (TooManyRequestsException: Rate exceeded), still after 3 attempts',
    );
  });

  it('does not retry an InvalidRequestException', async () => {
    // prepare
    athena.on(StartQueryExecutionCommand).rejects(
      new InvalidRequestException({
        $metadata: { httpStatusCode: 400 },
        message: 'WorkGroup pulse is not found.',
        AthenaErrorCode: 'INVALID_INPUT',
      }),
    );
    // act
    const failure = (await engine()
      .query('select 1')
      .catch((e: unknown) => e)) as QueryError;
    // assess
    expect(athena).toHaveReceivedCommandTimes(StartQueryExecutionCommand, 1);
    expect(failure.retryable).toBe(false);
    expect(failure.message).toBe(
      'Athena StartQueryExecution failed (InvalidRequestException: WorkGroup pulse is not found.)',
    );
  });

  it('stops a query that outlives the poll budget and throws a QueryTimeoutError naming it', async () => {
    // prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena.on(GetQueryExecutionCommand).resolves(execution('RUNNING'));
    athena.on(StopQueryExecutionCommand).resolves({});
    const timings = fakeTimings({ pollBudgetMs: 1_000 });
    // act
    const failure = (await engine(timings)
      .query('select * from tickets cross join tickets')
      .catch((e: unknown) => e)) as QueryTimeoutError;
    // assess
    expect(failure).toBeInstanceOf(QueryTimeoutError);
    expect(failure.queryExecutionId).toBe(id);
    expect(failure.retryable).toBe(false);
    expect(failure.message).toBe(
      `Athena query ${id} was still RUNNING after 1 s, past its poll budget of 1 s; it was stopped. Make the query scan less (partition filters) or raise the budget`,
    );
    expect(athena).toHaveReceivedCommandWith(StopQueryExecutionCommand, { QueryExecutionId: id });
    // 100 + 200 + 400 = 700, then the 300 left of the budget, then one last poll.
    expect(timings.waits).toEqual([100, 200, 400, 300]);
    expect(athena).toHaveReceivedCommandTimes(GetQueryExecutionCommand, 5);
    expect(athena).toHaveReceivedCommandTimes(GetQueryResultsCommand, 0);
  });
});

describe("Athena at the stage's deadline", () => {
  it('stops the query still running at the deadline, waits until Athena says it ended, and is out of time', async () => {
    // prepare: an UNLOAD that runs on; Athena says it is cancelled on the third poll after StopQueryExecution
    let stopped = 0;
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena.on(StopQueryExecutionCommand).callsFake(() => {
      stopped = 1;
      return {};
    });
    athena
      .on(GetQueryExecutionCommand)
      .callsFake(() => (stopped > 0 && stopped++ > 2 ? execution('CANCELLED') : execution('RUNNING')));
    const timings = fakeTimings();
    const athenaEngine = engine(timings, { clearPrefix: async () => {}, manifests: memoryManifests().store });
    athenaEngine.stopAt(1_000);
    // act
    const failure = await athenaEngine
      .writeParquet('select * from stg_tickets', 'marts/trc/', { partitionByMonth: true })
      .catch((e: unknown) => e);
    // assess: stopped at the deadline (well inside the 60 s budget), its end seen before returning
    expect(failure).toBeInstanceOf(OutOfTimeError);
    expect((failure as Error).message).toMatch(
      new RegExp(`^Athena query ${id} was stopped at the stage's deadline .*its state CANCELLED`),
    );
    expect(athena).toHaveReceivedCommandWith(StopQueryExecutionCommand, { QueryExecutionId: id });
    // 100 + 200 + 400 = 700, the 300 left to the deadline; then polled until CANCELLED.
    expect(timings.waits.slice(0, 4)).toEqual([100, 200, 400, 300]);
    // Three polls after the stop: RUNNING, RUNNING, CANCELLED.
    expect(stopped).toBe(4);
    // act: past the deadline, no statement starts
    const next = await athenaEngine.query('select 1').catch((e: unknown) => e);
    // assess
    expect(next).toBeInstanceOf(OutOfTimeError);
    expect(athena).toHaveReceivedCommandTimes(StartQueryExecutionCommand, 1);
  });

  it('keeps the result of a query that succeeded while it was being stopped', async () => {
    // prepare
    let stopped = false;
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena.on(StopQueryExecutionCommand).callsFake(() => {
      stopped = true;
      return {};
    });
    athena.on(GetQueryExecutionCommand).callsFake(() => execution(stopped ? 'SUCCEEDED' : 'RUNNING'));
    athena.on(GetQueryResultsCommand).resolves(page([column('n', 'bigint')], [['7']], { header: true }));
    const athenaEngine = engine();
    athenaEngine.stopAt(500);
    // act
    const rows = await athenaEngine.query('select count(*) as n from tickets');
    // assess
    expect(rows).toEqual([{ n: 7 }]);
  });

  it('fails, for the owners to see, when Athena still says the stopped query runs', async () => {
    // prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena.on(StopQueryExecutionCommand).resolves({});
    athena.on(GetQueryExecutionCommand).resolves(execution('RUNNING'));
    const athenaEngine = engine(fakeTimings({ stopConfirmMs: 2_000 }));
    athenaEngine.stopAt(500);
    // act
    const failure = await athenaEngine.query('select 1').catch((e: unknown) => e);
    // assess: not out of time (a re-run could clear a partition it still writes into)
    expect(failure).toBeInstanceOf(QueryError);
    expect(failure).not.toBeInstanceOf(OutOfTimeError);
    expect((failure as Error).message).toBe(
      `Athena query ${id} was stopped at the stage's deadline but is still RUNNING after 2 s: make sure it has ended (Athena console) before running the stage again`,
    );
  });
});

describe('Athena writes', () => {
  it("writeParquet of a table UNLOADs into a write prefix of its own, then commits each month's manifest", async () => {
    // prepare: September has a committed manifest, October none
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    const lake = memoryManifests();
    lake.files.add('curated/tickets/w=old/month=2026-09/a.parquet');
    await lake.store.commit('curated/tickets/', '2026-09', ['curated/tickets/w=old/month=2026-09/a.parquet']);
    const read = lake.manifests.get('_manifests/curated/tickets/month=2026-09/manifest')!.etag;
    let target = '';
    athena.on(GetQueryExecutionCommand).callsFake(() => {
      // What the UNLOAD writes, once it has run: the new files under its own prefix.
      const sql = athena.commandCalls(StartQueryExecutionCommand).at(-1)!.args[0].input.QueryString!;
      target = /to 's3:\/\/pulse-lake-123\/([^']+)'/.exec(sql)![1]!;
      for (const m of ['2026-09', '2026-10']) lake.files.add(`${target}month=${m}/q_0.parquet`);
      return execution('SUCCEEDED');
    });
    const cleared: string[] = [];
    const clearPrefix = async (prefix: string) => void cleared.push(prefix);
    // act
    await engine(fakeTimings(), { clearPrefix, manifests: lake.store }).writeParquet(
      'select ticket_id, month from stg_tickets;\n',
      'curated/tickets/',
      { partitionByMonth: true, months: ['2026-09', '2026-10'] },
    );
    // assess: nothing cleared; the UNLOAD went to a new prefix no manifest named
    expect(cleared).toEqual([]);
    expect(target).toMatch(/^curated\/tickets\/w=[0-9a-f]{12}\/$/);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input.QueryString).toBe(
      `unload (select * from (\nselect ticket_id, month from stg_tickets\n) as unloaded) to 's3://pulse-lake-123/${target}' with (format = 'PARQUET', compression = 'ZSTD', partitioned_by = ARRAY['month'])`,
    );
    expect(athena).toHaveReceivedCommandTimes(GetQueryResultsCommand, 0);
    // each month committed on the manifest read before the UNLOAD, then the old files deleted
    expect(lake.commits.slice(1)).toEqual([
      {
        key: '_manifests/curated/tickets/month=2026-09/manifest',
        keys: [`${target}month=2026-09/q_0.parquet`],
        expected: read,
      },
      { key: '_manifests/curated/tickets/month=2026-10/manifest', keys: [`${target}month=2026-10/q_0.parquet`] },
    ]);
    expect(lake.deleted).toEqual(['curated/tickets/w=old/month=2026-09/a.parquet']);
  });

  it('writeParquet commits nothing when another writer committed a month during its UNLOAD, and says so', async () => {
    // prepare: the other writer commits September while this one's UNLOAD runs
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    const lake = memoryManifests();
    await lake.store.commit('marts/trc/', '2026-09', ['marts/trc/w=a/month=2026-09/x.parquet']);
    athena.on(GetQueryExecutionCommand).callsFake(async () => {
      const current = lake.manifests.get('_manifests/marts/trc/month=2026-09/manifest')!;
      if (current.keys[0]!.includes('w=a/'))
        await lake.store.commit('marts/trc/', '2026-09', ['marts/trc/w=b/month=2026-09/y.parquet'], current.etag);
      return execution('SUCCEEDED');
    });
    // act
    const failure = await engine(fakeTimings(), { manifests: lake.store })
      .writeParquet('select x, month from t', 'marts/trc/', { partitionByMonth: true, months: ['2026-09'] })
      .catch((e: unknown) => e);
    // assess: the other writer's month stands, and nothing was deleted
    expect(failure).toBeInstanceOf(ManifestConflictError);
    expect(lake.manifests.get('_manifests/marts/trc/month=2026-09/manifest')!.keys).toEqual([
      'marts/trc/w=b/month=2026-09/y.parquet',
    ]);
    expect(lake.deleted).toEqual([]);
  });

  /** `count` months from 2010-01 on, as YYYY-MM. */
  const monthsFrom2010 = (count: number) =>
    Array.from({ length: count }, (_, i) => `${2010 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`);
  /** The months each UNLOAD sent is filtered to, in order; [] for one that is not filtered. */
  const unloadedMonths = (sent: string[]) =>
    sent
      .filter((q) => q.startsWith('unload ('))
      .map((q) =>
        [...(/ where month in \(([^)]*)\)\) to /.exec(q)?.[1] ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]!),
      );

  it('writeParquet writes 250 months in batches of at most 100 partitions, each UNLOAD its own months', async () => {
    // prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
    const cleared: string[] = [];
    const months = monthsFrom2010(250);
    // act
    const lake = memoryManifests();
    const athenaEngine = engine(fakeTimings(), {
      clearPrefix: async (p) => void cleared.push(p),
      manifests: lake.store,
    });
    await athenaEngine.writeParquet('select ticket_id, month from stg_tickets', 'curated/tickets/', {
      partitionByMonth: true,
      months,
    });
    // assess
    const sent = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input.QueryString!);
    const batches = unloadedMonths(sent);
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(batches.flat()).toEqual(months);
    expect(cleared).toEqual([]);
    expect(lake.commits.map((c) => c.key)).toEqual(months.map((m) => `_manifests/curated/tickets/month=${m}/manifest`));
    const first = months
      .slice(0, 100)
      .map((m) => `'${m}'`)
      .join(', ');
    expect(
      sent[0]!.startsWith(
        `unload (select * from (\nselect ticket_id, month from stg_tickets\n) as unloaded where month in (${first})) ` +
          "to 's3://pulse-lake-123/curated/tickets/w=",
      ),
    ).toBe(true);
    expect(sent[0]).toMatch(
      /to 's3:\/\/pulse-lake-123\/curated\/tickets\/w=[0-9a-f]{12}\/' with \(format = 'PARQUET', compression = 'ZSTD', partitioned_by = ARRAY\['month'\]\)$/,
    );
  });

  it('writeParquet without months asks the SELECT which it holds: 150 months, 2 UNLOADs, and empties a month it left', async () => {
    // prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
    const months = monthsFrom2010(150);
    const held = page(
      [column('month', 'varchar')],
      months.map((m) => [m]),
      { header: true },
    );
    athena.on(GetQueryResultsCommand).resolves(held);
    const cleared: string[] = [];
    const lake = memoryManifests();
    lake.files.add('marts/volume_daily/w=old/month=2001-01/x.parquet');
    await lake.store.commit('marts/volume_daily/', '2001-01', ['marts/volume_daily/w=old/month=2001-01/x.parquet']);
    // act
    const athenaEngine = engine(fakeTimings(), {
      clearPrefix: async (p) => void cleared.push(p),
      manifests: lake.store,
    });
    await athenaEngine.writeParquet('select day, month from int_tickets', 'marts/volume_daily/', {
      partitionByMonth: true,
    });
    // assess
    const sent = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input.QueryString!);
    expect(sent[0]).toBe('select distinct month from (\nselect day, month from int_tickets\n) as written order by 1');
    expect(unloadedMonths(sent).map((b) => b.length)).toEqual([100, 50]);
    expect(unloadedMonths(sent).flat()).toEqual(months);
    expect(cleared).toEqual([]);
    // a write of the whole table: 2001-01, which the rows no longer hold, is committed empty
    expect(lake.commits.length).toBe(1 + 150 + 1);
    expect(lake.commits.at(-1)).toMatchObject({
      key: '_manifests/marts/volume_daily/month=2001-01/manifest',
      keys: [],
    });
    expect(lake.deleted).toEqual(['marts/volume_daily/w=old/month=2001-01/x.parquet']);
  });

  it('writeParquet of 100 months or fewer is one UNLOAD, not filtered', async () => {
    // prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
    // act
    const athenaEngine = engine(fakeTimings(), { clearPrefix: async () => {}, manifests: memoryManifests().store });
    await athenaEngine.writeParquet('select x, month from t', 'marts/trc/', {
      partitionByMonth: true,
      months: monthsFrom2010(100),
    });
    // assess
    const sent = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input.QueryString!);
    expect(unloadedMonths(sent)).toEqual([[]]);
  });

  it("writeParquet without partitions writes a new prefix and commits the table's one manifest", async () => {
    // prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
    const lake = memoryManifests();
    // act
    await engine(fakeTimings(), { manifests: lake.store }).writeParquet('select 1 as x', 'marts/benchmarks', {
      partitionByMonth: false,
    });
    // assess
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input.QueryString).toMatch(
      /^unload \(select \* from \(\nselect 1 as x\n\) as unloaded\) to 's3:\/\/pulse-lake-123\/marts\/benchmarks\/w=[0-9a-f]{12}\/' with \(format = 'PARQUET', compression = 'ZSTD'\)$/,
    );
    expect(lake.commits.map((c) => c.key)).toEqual(['_manifests/marts/benchmarks/manifest']);
  });

  it('writeParquet of a prefix no table reads (a staging prefix) clears it and writes into it', async () => {
    // prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
    const cleared: string[] = [];
    // act
    await engine(fakeTimings(), { clearPrefix: async (p) => void cleared.push(p) }).writeParquet(
      'select 1 as x',
      'curated/_staging/customers/f1/',
      { partitionByMonth: false },
    );
    // assess
    expect(cleared).toEqual(['curated/_staging/customers/f1/']);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input.QueryString).toBe(
      "unload (select * from (\nselect 1 as x\n) as unloaded) to 's3://pulse-lake-123/curated/_staging/customers/f1/' with (format = 'PARQUET', compression = 'ZSTD')",
    );
  });

  it("commitStaged copies a fold's staged months into a write prefix of the table and commits them, no query run", async () => {
    // prepare: October committed; the fold staged September (new) and October (rewritten)
    const lake = memoryManifests();
    lake.files.add('curated/tickets/w=old/month=2026-10/a.parquet');
    await lake.store.commit('curated/tickets/', '2026-10', ['curated/tickets/w=old/month=2026-10/a.parquet']);
    for (const key of ['month=2026-09/s_0.parquet', 'month=2026-10/s_0.parquet', 'month=2026-10/s_1.parquet'])
      lake.files.add(`curated/_staging/tickets/f1/${key}`);
    // act
    await engine(fakeTimings(), { manifests: lake.store }).commitStaged(
      'curated/_staging/tickets/f1/',
      'curated/tickets/',
      ['2026-09', '2026-10'],
    );
    // assess
    const [september, october] = lake.commits.slice(1);
    const write = /^(curated\/tickets\/w=[0-9a-f]{12}\/)/.exec(september!.keys[0]!)![1]!;
    expect(september).toEqual({
      key: '_manifests/curated/tickets/month=2026-09/manifest',
      keys: [`${write}month=2026-09/s_0.parquet`],
    });
    expect(october).toMatchObject({
      key: '_manifests/curated/tickets/month=2026-10/manifest',
      keys: [`${write}month=2026-10/s_0.parquet`, `${write}month=2026-10/s_1.parquet`],
      expected: expect.any(String),
    });
    expect(lake.deleted).toEqual(['curated/tickets/w=old/month=2026-10/a.parquet']);
    expect(athena).toHaveReceivedCommandTimes(StartQueryExecutionCommand, 0);
  });

  it('writeParquet refuses to run without clearPrefix', async () => {
    // act
    const failure = await engine()
      .writeParquet('select 1', 'curated/_staging/x/f/', { partitionByMonth: false })
      .catch((e: unknown) => e);
    const table = await engine()
      .writeParquet('select 1', 'marts/x/', { partitionByMonth: false })
      .catch((e: unknown) => e);
    // assess
    expect((failure as Error).message).toMatch(/needs clearPrefix/);
    expect((table as Error).message).toMatch(/needs manifests/);
    expect(athena).toHaveReceivedCommandTimes(StartQueryExecutionCommand, 0);
  });

  it('createView writes nothing to Glue: the view becomes a WITH entry of each statement that names it', async () => {
    // prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves(page([column('n', 'bigint')], [['3']], { header: true }));
    const athenaEngine = engine();
    // act
    await athenaEngine.createView('int_tickets', 'select * from tickets where solved_at is not null;');
    await athenaEngine.createView('int_solved', "select * from int_tickets where channel <> 'int_tickets'");
    const rows = await athenaEngine.query(
      'with counted as (select count(*) as n from int_solved) select n from counted',
    );
    // assess
    expect(rows).toEqual([{ n: 3 }]);
    expect(athena).toHaveReceivedCommandTimes(StartQueryExecutionCommand, 1);
    // The view it reads comes first; a name inside a literal is not a reference.
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input.QueryString).toBe(
      "with int_tickets as (\nselect * from tickets where solved_at is not null\n),\nint_solved as (\nselect * from int_tickets where channel <> 'int_tickets'\n),\ncounted as (select count(*) as n from int_solved) select n from counted",
    );
  });

  it("registerTables points a stage's own name at the Glue table over the prefix, and refuses a prefix with no table", async () => {
    // prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves(page([column('n', 'bigint')], [['0']], { header: true }));
    const athenaEngine = engine();
    // act
    await athenaEngine.registerTables([
      { name: 'tickets', prefix: 'curated/tickets/', columns: [], partitioned: true },
      { name: 'curated_tickets_before', prefix: 'curated/tickets/', columns: [], partitioned: true },
    ]);
    await athenaEngine.query('select count(*) as n from curated_tickets_before join tickets on true');
    const failure = await athenaEngine
      .registerTables([{ name: 'x', prefix: 'rejects/tickets/', columns: [], partitioned: false }])
      .catch((e: unknown) => e);
    // assess
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input.QueryString).toBe(
      'select count(*) as n from "pulse_lake"."tickets" join tickets on true',
    );
    expect((failure as Error).message).toMatch(
      /^cannot register x in Athena: rejects\/tickets\/ is not a prefix the CDK stack defines a Glue table over/,
    );
  });

  it('createTable materialises by CTAS under a name of its own, renames references to it; drop table drops it', async () => {
    // prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves(page([column('n', 'bigint')], [['2']], { header: true }));
    const cleared: string[] = [];
    const athenaEngine = engine(fakeTimings(), { clearPrefix: async (p) => void cleared.push(p) });
    // act
    await athenaEngine.createView('new_rows', 'select 1 as x union all select 2');
    await athenaEngine.createTable('validated_0', 'select x from new_rows');
    await athenaEngine.query('select count(*) as n from validated_0');
    await athenaEngine.query('drop table validated_0');
    // assess
    const sent = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input.QueryString!);
    // No external_location: the workgroup enforces its configuration, and Athena fails a CTAS that names one.
    const ctas = new RegExp(
      '^create table "pulse_lake"\\."(pulse_scratch_[0-9a-f]{12}_validated_0)" ' +
        "with \\(format = 'PARQUET', write_compression = 'ZSTD'\\) as select \\* from \\(\\n" +
        'with new_rows as \\(\\nselect 1 as x union all select 2\\n\\)\\nselect x from new_rows\\n\\) as scratch$',
    ).exec(sent[0]!);
    expect(ctas, sent[0]).not.toBeNull();
    expect(sent.some((s) => /external_location/i.test(s))).toBe(false);
    expect(sent[1]).toBe(`select count(*) as n from "pulse_lake"."${ctas![1]}"`);
    // DROP TABLE is Hive DDL: names in backticks, never double quotes.
    expect(sent[2]).toBe(`drop table if exists \`pulse_lake\`.\`${ctas![1]}\``);
    expect(sent).toHaveLength(3);
    // Its files are under the workgroup's results location, not the lake: nothing in the lake to clear.
    expect(cleared).toEqual([]);
  });

  it('close drops the tables still materialised', async () => {
    // prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
    const athenaEngine = engine(fakeTimings(), { clearPrefix: async () => {} });
    await athenaEngine.createTable('raw_tickets', 'select 1 as x');
    // act
    await athenaEngine.close();
    // assess
    const sent = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input.QueryString!);
    expect(sent[1]).toMatch(/^drop table if exists `pulse_lake`\.`pulse_scratch_[0-9a-f]{12}_raw_tickets`$/);
  });

  it('registerLanded reads one part of the raw table of its entity and form: its partition, then its "$path"', async () => {
    // prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: id });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves(page([column('n', 'bigint')], [['1']], { header: true }));
    const athenaEngine = engine();
    const key = 'raw/tickets/source=helpdesk/ingest_date=2026-11-02/20261102T060000Z-ab12cd-0000.ndjson.gz';
    // act
    await athenaEngine.registerLanded(
      {
        key,
        format: 'cells',
        unit: 'tickets.csv',
        name: 'tickets.csv',
        landing: 'b',
        layout: {
          header: ['Id', 'Opened'],
          delimiter: ',',
          skipLines: 1,
          newline: '\n',
          columns: { id: 0, created_at: 1 },
        },
      },
      ['id', 'created_at', 'channel'],
    );
    await athenaEngine.query('select count(*) as n from landed');
    const csv = await athenaEngine
      .registerLanded({ key: key.replace('.ndjson.gz', '.csv'), format: 'csv', unit: 'u', name: 'n', landing: 'b' }, [
        'id',
      ])
      .catch((e: unknown) => e);
    // assess
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input.QueryString).toBe(
      [
        'with landed_cells as (',
        `select _row, _line, _reject, _message, element_at(c, 1) as c0, element_at(c, 2) as c1 from "pulse_lake"."raw_tickets_cells" where landed_source = 'helpdesk' and landed_date = '2026-11-02' and "$path" = 's3://pulse-lake-123/${key}'`,
        '),',
        'landed as (',
        "select 'tickets.csv' as _file, _row, _line, _reject, _message, c0 as id, c1 as created_at, cast(null as varchar) as channel from landed_cells",
        ')',
        'select count(*) as n from landed',
      ].join('\n'),
    );
    expect((csv as Error).message).toMatch(
      /has no row numbers there; extract splits every export into cells for an s3:\/\/ lake/,
    );
  });
});
