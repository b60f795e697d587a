import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { gzipSync } from 'node:zlib';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type QueryExecution,
} from '@aws-sdk/client-athena';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths } from '../../functions/kpis/period.ts';
import { lastProjectedMonth, monthProjection, monthProjectionRange } from '../../functions/model/projection.ts';
import { startAthenaLocal, type AthenaLocal } from './athena/server.ts';
import { startS3rver, stopS3rver } from '../support/s3rver.ts';

/**
 * The Athena stand-in against s3rver on loopback, driven by the real AthenaClient: the API's
 * shapes and states, paging, stop, the statements log, and each Athena rule it keeps (refusing
 * the statement Athena refuses, accepting the one it runs).
 */
let s3rver: ChildProcess;
let directory: string;
let athena: AthenaLocal;
let client: AthenaClient;
let s3: S3Client;
let statementsFile: string;
let endpoint: string;
/** The CLI, started with the suite so its start-up overlaps the other tests. */
let cli: ChildProcess;
let cliLine: Promise<string>;
const lake = 's3://pulse-lake';
const results = 's3://pulse-lake/athena-results/';
/** The stand-in's clock: partition projection's NOW. */
const now = new Date('2026-11-02T06:00:00Z');

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'athena-standin-'));
  const started = await startS3rver(path.join(directory, 's3'));
  s3rver = started.process;
  endpoint = `http://127.0.0.1:${started.port}`;
  // s3rver's fixed key pair (its README); the stand-in reads credentials as any SDK client does.
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  cli = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.resolve(import.meta.dirname, 'athenaLocal.ts'),
      '--s3-endpoint',
      endpoint,
      '--results',
      results,
    ],
    {
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  cliLine = (once(createInterface({ input: cli.stdout! }), 'line') as Promise<[string]>).then(([line]) => line);
  statementsFile = path.join(directory, 'statements.ndjson');
  athena = await startAthenaLocal({ s3Endpoint: endpoint, results, statementsFile, now: () => now });
  const credentials = { accessKeyId: 'any', secretAccessKey: 'any' };
  client = new AthenaClient({ endpoint: athena.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
}, 60_000);

afterAll(async () => {
  if (cli && cli.exitCode === null) {
    const exited = once(cli, 'exit');
    cli.kill('SIGTERM');
    await exited;
  }
  client?.destroy();
  s3?.destroy();
  await athena?.close();
  await stopS3rver(s3rver);
  await rm(directory, { recursive: true, force: true });
});

const start = async (sql: string) =>
  (
    await client.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        WorkGroup: 'any-name',
        QueryExecutionContext: { Database: 'pulse' },
      }),
    )
  ).QueryExecutionId!;
const status = async (id: string) =>
  (await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution!;

async function wait(id: string): Promise<QueryExecution> {
  for (;;) {
    const execution = await status(id);
    if (!['QUEUED', 'RUNNING'].includes(execution.Status!.State!)) return execution;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs a statement: its final state, reason and data rows (header dropped). */
async function run(
  sql: string,
): Promise<{ state: string; reason?: string; rows: (string | undefined)[][]; execution: QueryExecution }> {
  const execution = await wait(await start(sql));
  const state = execution.Status!.State!;
  if (state !== 'SUCCEEDED' || execution.StatementType !== 'DML')
    return { state, reason: execution.Status!.StateChangeReason, rows: [], execution };
  const page = await client.send(new GetQueryResultsCommand({ QueryExecutionId: execution.QueryExecutionId }));
  const rows = (page.ResultSet?.Rows ?? []).slice(1).map((r) => (r.Data ?? []).map((d) => d.VarCharValue));
  return { state, rows, execution };
}

const keys = async (prefix: string) =>
  ((await s3.send(new ListObjectsV2Command({ Bucket: 'pulse-lake', Prefix: prefix }))).Contents ?? []).map(
    (o) => o.Key!,
  );
/** Puts each month's manifest of a symlink table, naming the files a write put under `write` for it (as Pulse commits). */
async function commitMonths(table: string, write: string, months: string[]): Promise<void> {
  const written = await keys(write);
  for (const month of months) {
    const files = written.filter((k) => k.includes(`/month=${month}/`)).map((k) => `${lake}/${k}\n`);
    await s3.send(
      new PutObjectCommand({
        Bucket: 'pulse-lake',
        Key: `_manifests/${table}month=${month}/manifest`,
        Body: files.join(''),
      }),
    );
  }
}
/** A SELECT of one row per month from 2000-01 on: `months` partitions for a write. */
const monthsSql = (months: number) =>
  `select x as n, cast(2000 + (x - 1) / 12 as varchar) || '-' || lpad(cast((x - 1) % 12 + 1 as varchar), 2, '0') ` +
  `as month from unnest(sequence(1, ${months})) as t(x)`;

describe('the Athena API', () => {
  it('pages results: the header first, at most MaxResults rows a page, NextToken until the last', async () => {
    const id = await start(
      'select x, cast(x as double) / 4 as quarter, cast(null as varchar) as nothing ' +
        'from unnest(sequence(1, 2500)) as t(x) order by x',
    );
    await wait(id);
    const pages = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1000, NextToken: token }),
      );
      pages.push(page);
      token = page.NextToken;
    } while (token);
    expect(pages.map((p) => p.ResultSet!.Rows!.length)).toEqual([1000, 1000, 501]);
    expect(pages[0]!.ResultSet!.Rows![0]!.Data!.map((d) => d.VarCharValue)).toEqual(['x', 'quarter', 'nothing']);
    expect(pages[0]!.ResultSet!.Rows![1]!.Data).toEqual([{ VarCharValue: '1' }, { VarCharValue: '0.25' }, {}]);
    expect(pages[0]!.ResultSet!.ResultSetMetadata!.ColumnInfo!.map((c) => c.Type)).toEqual([
      'bigint',
      'double',
      'varchar',
    ]);
    expect(pages[2]!.ResultSet!.Rows!.at(-1)!.Data![0]!.VarCharValue).toBe('2500');
    await expect(client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1001 }))).rejects.toThrow(
      /less than or equal to 1000/,
    );
  });

  it('moves QUEUED → RUNNING → CANCELLED on stop; a query queued behind it then SUCCEEDED', async () => {
    const slow = await start(
      'select count(*) from unnest(sequence(1, 9999)) as a(x) cross join unnest(sequence(1, 9999)) as b(y) ' +
        'cross join unnest(sequence(1, 9999)) as c(z) where x * y * z = 7',
    );
    const fast = await start('select 1 as one');
    expect((await status(fast)).Status!.State).toBe('QUEUED');
    for (let i = 0; (await status(slow)).Status!.State !== 'RUNNING' && i < 200; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect((await status(slow)).Status!.State).toBe('RUNNING');
    await client.send(new StopQueryExecutionCommand({ QueryExecutionId: slow }));
    const stopped = await wait(slow);
    expect(stopped.Status!.State).toBe('CANCELLED');
    const done = await wait(fast);
    expect(done.Status!.State).toBe('SUCCEEDED');
    expect(done.StatementType).toBe('DML');
    expect(done.Statistics).toMatchObject({
      DataScannedInBytes: 0,
      ResultReuseInformation: { ReusedPreviousResult: false },
    });
    expect(done.Status!.CompletionDateTime).toBeInstanceOf(Date);
    expect(done.ResultConfiguration!.OutputLocation).toBe(`${results}${fast}.csv`);
  });

  it('fails a query with Athena-shaped AthenaError and StateChangeReason', async () => {
    const { state, execution } = await run('select 1::integer');
    expect(state).toBe('FAILED');
    expect(execution.Status!.StateChangeReason).toMatch(/^SYNTAX_ERROR: line 1:9: ':'/);
    expect(execution.Status!.AthenaError).toMatchObject({ ErrorCategory: 2, ErrorType: 1000, Retryable: false });
    expect((await run('select 1; select 2')).reason).toBe('INVALID_INPUT: Only one sql statement is allowed.');
    expect((await run('select 1 as one;')).state).toBe('SUCCEEDED');
    await expect(
      client.send(new GetQueryResultsCommand({ QueryExecutionId: execution.QueryExecutionId })),
    ).rejects.toThrow(/did not finish successfully/);
  });

  it('answers Glue GetTable from the stack, and an unknown target with a JSON error', async () => {
    const call = (target: string, body: object) =>
      fetch(athena.url, {
        method: 'POST',
        headers: { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.1' },
        body: JSON.stringify(body),
      });
    const table = (await (await call('AWSGlue.GetTable', { DatabaseName: 'pulse', Name: 'tickets' })).json()) as {
      Table: { Parameters: Record<string, string>; StorageDescriptor: { Location: string } };
    };
    expect(table.Table.StorageDescriptor.Location).toBe(`${lake}/_manifests/curated/tickets/`);
    expect(table.Table.Parameters['projection.month.range']).toBe(monthProjectionRange);
    const unknown = await call('AmazonAthena.ListDataCatalogs', {});
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(((await unknown.json()) as { __type: string }).__type).toBe('UnknownOperationException');
  });

  it('logs every statement to the statements file as one JSON line', async () => {
    await run("select 'logged' as x");
    const lines = (await readFile(statementsFile, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.at(-1)).toEqual({ statement: "select 'logged' as x", state: 'SUCCEEDED', error: null });
    expect(lines.some((l) => l.state === 'CANCELLED')).toBe(true);
    expect(lines.some((l) => l.state === 'FAILED' && String(l.error).startsWith('SYNTAX_ERROR'))).toBe(true);
    expect(athena.statements.length).toBe(lines.length);
  });
});

describe('the rules Athena keeps', () => {
  it('refuses a statement over 262,144 bytes at the API, and runs one of exactly that size', async () => {
    const head = 'select 1 as one -- ';
    const exact = head + 'x'.repeat(262_144 - head.length);
    await expect(start(`${exact}x`)).rejects.toThrow(/length less than or equal to 262144/);
    expect(athena.statements.at(-1)).toMatchObject({ state: 'FAILED' });
    expect((await run(exact)).state).toBe('SUCCEEDED');
  });

  it('refuses CTAS with external_location in the enforced workgroup, else writes under the results', async () => {
    const refused = await run(
      `create table "pulse"."ctas_refused" with (format = 'PARQUET', external_location = '${lake}/_scratch/x/') ` +
        'as select 1 as a',
    );
    expect(refused.state).toBe('FAILED');
    expect(refused.reason).toMatch(/external_location/);
    const made = await run(
      `create table "pulse"."ctas_made" with (format = 'PARQUET', write_compression = 'ZSTD') ` +
        "as select 1 as a, 'x' as b",
    );
    expect(made.state).toBe('SUCCEEDED');
    expect([made.execution.StatementType, made.execution.SubstatementType]).toEqual(['DML', 'CREATE_TABLE_AS_SELECT']);
    expect(await keys(`athena-results/tables/${made.execution.QueryExecutionId}/`)).toHaveLength(1);
    expect((await run('select a, b from ctas_made')).rows).toEqual([['1', 'x']]);
    expect((await run(`create table "pulse"."ctas_made" as select 1 as a`)).reason).toMatch(/already exists/);
  });

  it('refuses an UNLOAD into a location holding data, except into partitions', async () => {
    expect(
      (await run(`unload (select 1 as a) to '${lake}/unloaded/plain/' with (format = 'PARQUET', compression = 'ZSTD')`))
        .state,
    ).toBe('SUCCEEDED');
    const again = await run(`unload (select 1 as a) to '${lake}/unloaded/plain/' with (format = 'PARQUET')`);
    expect(again.state).toBe('FAILED');
    expect(again.reason).toMatch(/^HIVE_PATH_ALREADY_EXISTS/);
    const partitioned =
      `unload (select 1 as a, '2026-10' as month) to '${lake}/unloaded/months/' ` +
      "with (format = 'PARQUET', partitioned_by = ARRAY['month'])";
    expect((await run(partitioned)).state).toBe('SUCCEEDED');
    expect((await run(partitioned)).state).toBe('SUCCEEDED');
    expect(await keys('unloaded/months/month=2026-10/')).toHaveLength(2);
  });

  it('writes at most 100 partitions per UNLOAD, CTAS or INSERT INTO', async () => {
    const unload = (months: number, to: string) =>
      run(
        `unload (${monthsSql(months)}) to '${lake}/${to}/' with (format = 'PARQUET', partitioned_by = ARRAY['month'])`,
      );
    const over = await unload(101, 'many101');
    expect(over.state).toBe('FAILED');
    expect(over.reason).toBe(
      'HIVE_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of 100 open writers for partitions/buckets',
    );
    expect(await keys('many101/')).toEqual([]);
    expect(
      (await run(`create table many_ctas with (partitioned_by = ARRAY['month']) as ${monthsSql(101)}`)).reason,
    ).toMatch(/^HIVE_TOO_MANY_OPEN_PARTITIONS/);
    const made = await run(`create table many_ctas with (partitioned_by = ARRAY['month']) as ${monthsSql(100)}`);
    expect(made.state).toBe('SUCCEEDED');
    const months = (await keys(`athena-results/tables/${made.execution.QueryExecutionId}/`)).map(
      (k) => k.split('/')[3],
    );
    expect(new Set(months).size).toBe(100);
    expect((await run(`insert into many_ctas ${monthsSql(101)}`)).reason).toMatch(/^HIVE_TOO_MANY_OPEN_PARTITIONS/);
    expect((await run(`insert into many_ctas select n, month from (${monthsSql(100)}) where n > 90`)).state).toBe(
      'SUCCEEDED',
    );
    expect((await run('select count(*) from many_ctas')).rows).toEqual([['110']]);
  });

  it('refuses double-quoted names in Hive DDL (DROP TABLE), and runs backticked ones', async () => {
    await run('create table quoted_drop as select 1 as a');
    const quoted = await run('drop table if exists "pulse"."quoted_drop"');
    expect(quoted.state).toBe('FAILED');
    expect(quoted.reason).toMatch(
      /^FAILED: ParseException line 1:21 cannot recognize input near '"pulse"' '\.' '"quoted_drop"'/,
    );
    expect((await run('drop table if exists `pulse`.`quoted_drop`')).state).toBe('SUCCEEDED');
    expect((await run('drop table if exists `pulse`.`quoted_drop`')).state).toBe('SUCCEEDED');
  });

  it('keeps the data of a dropped table', async () => {
    const made = await run('create table kept as select 1 as a');
    const prefix = `athena-results/tables/${made.execution.QueryExecutionId}/`;
    expect((await run('drop table kept')).state).toBe('SUCCEEDED');
    expect(await keys(prefix)).toHaveLength(1);
    expect((await run('select * from kept')).reason).toMatch(/^TABLE_NOT_FOUND/);
  });

  it("hides rows in months outside the projection's range, as the stack declares it", async () => {
    const first = monthProjection.first;
    const last = lastProjectedMonth(now);
    const months = [addMonths(first, -1), first, '2026-10', last, addMonths(last, 1)];
    const rows = months.map((m) => `select '${m}' as id, '${m}' as month`).join(' union all ');
    expect(
      (
        await run(
          `unload (${rows}) to '${lake}/curated/tickets/w=p/' with (format = 'PARQUET', partitioned_by = ARRAY['month'])`,
        )
      ).state,
    ).toBe('SUCCEEDED');
    expect(await keys('curated/tickets/w=p/')).toHaveLength(5);
    await commitMonths('curated/tickets/', 'curated/tickets/w=p/', months);
    expect((await run('select id, month from tickets order by id')).rows).toEqual(
      [first, '2026-10', last].map((m) => [m, m]),
    );
    expect((await run(`select count(*) from "pulse"."tickets" where month = '${addMonths(last, 1)}'`)).rows).toEqual([
      ['0'],
    ]);
  });

  it("reads a symlink table's month through its manifest alone; a manifest naming a gone file fails the query", async () => {
    // prepare: two writes of 2026-06, the manifest naming the second's files only
    await run(
      `unload (select 'old' as id, '2026-06' as month) to '${lake}/curated/tickets/w=a/' with (format = 'PARQUET', partitioned_by = ARRAY['month'])`,
    );
    await run(
      `unload (select 'new1' as id, '2026-06' as month union all select 'new2', '2026-06') to '${lake}/curated/tickets/w=b/' with (format = 'PARQUET', partitioned_by = ARRAY['month'])`,
    );
    // act
    await commitMonths('curated/tickets/', 'curated/tickets/w=b/', ['2026-06']);
    const read = await run(
      `select id, "$path" like '%/w=b/month=2026-06/%' from tickets where month = '2026-06' order by id`,
    );
    // assess: the first write's file, in the same month's folder tree, is not read
    expect(read.rows).toEqual([
      ['new1', 'true'],
      ['new2', 'true'],
    ]);
    // act: the manifest names a file that is gone
    await s3.send(
      new PutObjectCommand({
        Bucket: 'pulse-lake',
        Key: '_manifests/curated/tickets/month=2026-06/manifest',
        Body: `${lake}/curated/tickets/w=gone/month=2026-06/x.parquet\n`,
      }),
    );
    const gone = await run(`select count(*) from tickets where month = '2026-06'`);
    // assess
    expect(gone.state).toBe('FAILED');
    expect(gone.reason).toMatch(
      /^HIVE_CANNOT_OPEN_SPLIT: .*w=gone\/month=2026-06\/x\.parquet: the file does not exist/,
    );
  });

  it('reads raw NDJSON parts by projected partitions and "$path"; the injected source must be fixed', async () => {
    const key = 'raw/tickets/source=helpdesk/ingest_date=2026-11-02/batch-0000.ndjson.gz';
    const body = gzipSync(
      ['{"_row":1,"_line":2,"c":["t1","2026-10-01"]}', '{"_row":2,"_line":3,"_reject":"ragged","c":["t2"]}'].join('\n'),
    );
    await s3.send(new PutObjectCommand({ Bucket: 'pulse-lake', Key: key, Body: body }));
    const where = `landed_source = 'helpdesk' and landed_date = '2026-11-02' and "$path" = '${lake}/${key}'`;
    const read = await run(
      `select _row, _reject, element_at(c, 2) as created from "pulse"."raw_tickets_cells" where ${where} order by _row`,
    );
    expect(read.rows).toEqual([
      ['1', undefined, '2026-10-01'],
      ['2', 'ragged', undefined],
    ]);
    const unfixed = await run(`select count(*) from "pulse"."raw_tickets_cells" where landed_date = '2026-11-02'`);
    expect(unfixed.reason).toMatch(/^CONSTRAINT_VIOLATION: For the injected projected partition column landed_source/);
  });
  it('refuses what only DuckDB has: its syntax, functions and type names', async () => {
    expect((await run("select regexp_matches('abc', 'b')")).reason).toBe(
      "FUNCTION_NOT_FOUND: line 1:8: Function 'regexp_matches' not registered",
    );
    expect((await run('select cast(1 as string)')).reason).toBe('TYPE_NOT_FOUND: line 1:18: Unknown type: string');
    expect((await run('select x from (values 1) as t(x) qualify x = 1')).reason).toMatch(/^SYNTAX_ERROR: line 1:/);
    expect(
      (await run("select regexp_like('abc', 'b'), cast(cast('2026-01-02' as date) as varchar) as d")).rows,
    ).toEqual([['true', '2026-01-02']]);
  });
});

describe("Trino's semantics where DuckDB's differ", () => {
  it('greatest and least are NULL when any argument is', async () => {
    expect(
      (
        await run(
          "select greatest(1, null), least(2, null), greatest(1, 3), least(timestamp '2026-01-01 00:00:00', null)",
        )
      ).rows,
    ).toEqual([[undefined, undefined, '3', undefined]]);
  });

  it("casts varchar to double as Java's Double.parseDouble", async () => {
    const { rows } = await run(
      "select try_cast('5d' as double), try_cast('0x1p3' as double), try_cast('1_000' as double), " +
        "try_cast(' 2.5 ' as double), try_cast('1e3' as double)",
    );
    expect(rows).toEqual([['5.0', '8.0', undefined, '2.5', '1000.0']]);
    expect((await run("select cast('1_000' as double)")).reason).toBe(
      "INVALID_CAST_ARGUMENT: Cannot cast '1_000' to DOUBLE",
    );
  });

  it('casts varchar to timestamp and date as Trino does: one-digit fields, no T or zone, milliseconds', async () => {
    const cast = (text: string, type = 'timestamp') => `try_cast('${text}' as ${type})`;
    const { rows } = await run(
      `select ${[
        cast('2026-1-5 8:00'),
        cast('2026-10-01T08:00:00'),
        cast('2026-10-01 08:00:00+02:00'),
        cast('2026-10-01 08:00:00.1236'),
        cast('2026-10-01 08'),
        cast('2026-2-3', 'date'),
        cast('2026-02-30', 'date'),
      ].join(', ')}, cast(timestamp '2026-10-01 23:30:00' as date)`,
    );
    expect(rows).toEqual([
      [
        '2026-01-05 08:00:00.000',
        undefined,
        undefined,
        '2026-10-01 08:00:00.124',
        undefined,
        '2026-02-03',
        undefined,
        '2026-10-01',
      ],
    ]);
    // NULL in a column (not a literal, which DuckDB folds before any function sees it): NULL out.
    const nulls = await run(
      "select cast(v as timestamp), cast(v as date), try_cast(v as double), date_parse(v, '%Y-%m-%d') " +
        "from (values ('2026-10-01'), (cast(null as varchar))) as t(v) order by v nulls first",
    );
    expect(nulls.rows).toEqual([
      [undefined, undefined, undefined, undefined],
      ['2026-10-01 00:00:00.000', '2026-10-01', undefined, '2026-10-01 00:00:00.000'],
    ]);
    expect((await run("select cast('2026-10-01T08:00' as timestamp)")).reason).toBe(
      'INVALID_CAST_ARGUMENT: Value cannot be cast to timestamp: 2026-10-01T08:00',
    );
  });

  it('with_timezone takes the earlier offset in the repeated hour of a DST change', async () => {
    const utc = (wall: string) =>
      `cast(at_timezone(with_timezone(timestamp '${wall}', 'Europe/Helsinki'), 'UTC') as timestamp)`;
    // 2026-10-25 03:30 happens twice in Helsinki: at +03:00 (00:30 UTC) and then at +02:00.
    expect((await run(`select ${utc('2026-10-25 03:30:00')}, ${utc('2026-10-25 05:30:00')}`)).rows).toEqual([
      ['2026-10-25 00:30:00.000', '2026-10-25 03:30:00.000'],
    ]);
  });

  it('date_parse reads MySQL-style patterns, two-digit years in 1970–2069', async () => {
    const { rows } = await run(
      "select date_parse('1/2/2026 3:04 PM', '%c/%e/%Y %l:%i %p'), date_parse('69-12-31', '%y-%m-%d'), " +
        "date_parse('70-01-01', '%y-%m-%d'), try(date_parse('2/30/2026', '%c/%e/%Y')), " +
        "try(date_parse('2026-01-02x', '%Y-%m-%d'))",
    );
    expect(rows).toEqual([
      ['2026-01-02 15:04:00.000', '2069-12-31 00:00:00.000', '1970-01-01 00:00:00.000', undefined, undefined],
    ]);
  });

  it('integer division truncates toward zero', async () => {
    expect((await run('select 7 / 2, -7 / 2, 7.0 / 2, cast(7 as bigint) / 2')).rows).toEqual([['3', '-3', '3.5', '3']]);
  });
});

describe('npm run athena:local', () => {
  it('prints its URL as the first line, then serves until stopped', async () => {
    const line = await cliLine;
    expect(line).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const other = new AthenaClient({
      endpoint: line,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const id = (await other.send(new StartQueryExecutionCommand({ QueryString: 'select 1', WorkGroup: 'pulse' })))
      .QueryExecutionId;
    expect(id).toBeTruthy();
    other.destroy();
    const exited = once(cli, 'exit');
    cli.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
  }, 60_000);
});
