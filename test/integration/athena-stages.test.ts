import path from 'node:path';
import { rmSync } from 'node:fs';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  type GetQueryResultsOutput,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { TrinoSQL } from 'dt-sql-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AthenaEngine } from '../../functions/adapters/aws/athenaEngine.ts';
import { FolderStore } from '../../functions/adapters/local/folderStore.ts';
import { createSources } from '../../functions/cli/wiring.ts';
import { loadConfig } from '../../functions/config/load.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import { entities } from '../../functions/model/index.ts';
import { martTables } from '../../functions/model/marts.ts';
import { getJson } from '../../functions/ports/objectStore.ts';
import { createStageContext } from '../../functions/stages/context.ts';
import { curate } from '../../functions/stages/curate.ts';
import { evaluate } from '../../functions/stages/evaluate.ts';
import { extract } from '../../functions/stages/extract.ts';
import { buildMarts } from '../../functions/stages/marts.ts';
import type { SourceState } from '../../functions/stages/sourceState.ts';
import { memoryManifests } from '../support/memoryManifests.ts';

/**
 * Extract, curate, marts and evaluate with the Athena engine, at the SDK boundary: extract lands every
 * export split into numbered cells (Athena reads no row order from a CSV), and each statement
 * curate and marts send (the generated validation over the raw tables, the scratch tables'
 * CTAS, the merge, the UNLOADs) parses with the Trino grammar Athena runs, names only tables the
 * stack defines or the engine made, and leaves no scratch table behind.
 */
const fixture = path.resolve(import.meta.dirname, '../fixtures/golden/pulse.config.json');
const lake = path.resolve(import.meta.dirname, '../../.tmp/athena-stages-lake');
const athena = mockClient(AthenaClient);
const trino = new TrinoSQL();
const sent: string[] = [];
let cleared: string[] = [];
const landedKeys: string[] = [];
let martsSent = 0;

/** One result row in GetQueryResults' shape, its header first. */
function rows(columns: [string, string][], values: (string | null)[]): GetQueryResultsOutput {
  return {
    ResultSet: {
      Rows: [
        { Data: columns.map(([name]) => ({ VarCharValue: name })) },
        { Data: values.map((v) => (v === null ? {} : { VarCharValue: v })) },
      ],
      ResultSetMetadata: { ColumnInfo: columns.map(([Name, Type]) => ({ Name, Type })) },
    },
  };
}

/**
 * What Athena answers: rows counted by reason, a month the new rows touch, curated rows there
 * already (so curate copies them out before it replaces the month), a month of KPIs to build;
 * else no rows.
 */
function resultsFor(sql: string): GetQueryResultsOutput {
  const last = sql.trim().split('\n').at(-1) ?? '';
  if (/^select _reason, count\(\*\) as n/.test(last))
    return rows(
      [
        ['_reason', 'varchar'],
        ['n', 'bigint'],
      ],
      [null, '40'],
    );
  if (/^\s*order by 1$/.test(last) || /^select distinct month from \(/.test(last))
    return rows([['month', 'varchar']], ['2026-10']);
  if (/^select count\(\*\) as n from "pulse"\."\w+" where month in/.test(last)) return rows([['n', 'bigint']], ['5']);
  return { ResultSet: { Rows: [], ResultSetMetadata: { ColumnInfo: [] } } };
}

beforeAll(async () => {
  rmSync(lake, { recursive: true, force: true });
  const loaded = await loadConfig(fixture);
  loaded.config.lake = lake;
  const store = new FolderStore(lake);
  let last = '';
  athena.on(StartQueryExecutionCommand).callsFake((input: { QueryString: string }) => {
    sent.push(input.QueryString);
    last = input.QueryString;
    return { QueryExecutionId: `q${sent.length}` };
  });
  athena.on(GetQueryExecutionCommand).callsFake((input: { QueryExecutionId: string }) => ({
    QueryExecution: {
      QueryExecutionId: input.QueryExecutionId,
      StatementType: 'DML',
      Status: { State: 'SUCCEEDED' },
    },
  }));
  athena.on(GetQueryResultsCommand).callsFake(() => resultsFor(last));
  const engine = new AthenaEngine({
    workGroup: 'pulse',
    database: 'pulse',
    lake: 's3://pulse-lake',
    client: new AthenaClient({ region: 'eu-west-1' }),
    clearPrefix: async (p) => void cleared.push(p),
    manifests: memoryManifests().store,
  });
  const ctx = createStageContext({
    config: loaded.config,
    period: parsePeriod('2026-10'),
    store,
    engine,
    mail: { send: async () => ({ messageId: 'x' }) } as never,
    sources: createSources(loaded),
    now: new Date('2026-11-02T06:00:00Z'),
  });
  await extract(ctx);
  for (const source of ctx.sources)
    landedKeys.push(
      ...((await getJson<SourceState>(store, `state/${source.name}/${source.entity}.json`))?.landed ?? []).map(
        (p) => `${p.format} ${p.key}`,
      ),
    );
  cleared = [];
  await curate(ctx);
  await buildMarts(ctx);
  martsSent = sent.length;
  await evaluate(ctx);
  await engine.close();
}, 120_000);

afterAll(() => {
  athena.restore();
  rmSync(lake, { recursive: true, force: true });
});

/** What the stack defines in the query's database: an unqualified name resolves there. */
const catalogTables = new Set([...entities.map((e) => e.name), ...martTables.map((m) => m.name)]);

/** Words after FROM that name no relation (a subquery's WHERE, …); `is distinct from x.y` is left out by the dot. */
const sqlWords = new Set(['unnest', 'values', 'where', 'select', 'lateral', 'stack_table']);

/** The statement Trino's grammar sees: UNLOAD is Athena's own, so its query is parsed alone. */
const parsable = (sql: string) => /^unload \(([\s\S]*)\) to '[^']*' with \([^)]*\)$/.exec(sql)?.[1] ?? sql;

describe('the stages on Athena', () => {
  it('lands every export as numbered cells, none as CSV', () => {
    expect(landedKeys.length).toBeGreaterThan(0);
    for (const key of landedKeys)
      expect(key).toMatch(/^cells raw\/\w+\/source=[^/]+\/ingest_date=2026-11-02\/.*\.ndjson\.gz$/);
  });

  it('sends only statements the Trino grammar parses', () => {
    expect(sent.length).toBeGreaterThan(10);
    const errors = sent.flatMap((sql) =>
      trino.validate(parsable(sql)).map((e) => `${e.message} in: ${sql.slice(0, 300)}`),
    );
    expect(errors).toEqual([]);
  });

  it("keeps every statement under Athena's 262,144 bytes (Service Quotas: a query string's length)", () => {
    expect(Math.max(...sent.map((sql) => Buffer.byteLength(sql, 'utf8')))).toBeLessThan(262_144);
  });

  it('validates each part from its raw table and partition, materialises what it reads again, and merges by UNLOAD', () => {
    const validations = sent.filter((s) => s.startsWith('create table "pulse"."pulse_scratch_'));
    expect(validations.length).toBeGreaterThanOrEqual(landedKeys.length);
    for (const sql of validations.slice(0, landedKeys.length))
      expect(sql).toMatch(
        /from "pulse"\."raw_\w+_cells" where landed_source = '[^']+' and landed_date = '2026-11-02' and "\$path" = 's3:\/\/pulse-lake\/raw\//,
      );
    // A fold is staged in curated/_staging/ (its months then switched to copies of the staged files
    // by their manifests), so no statement writes into an entity's table, and one stopped part-way
    // leaves it as it was.
    const staged = sent.filter((s) => s.startsWith('unload (') && s.includes("to 's3://pulse-lake/curated/_staging/"));
    expect(staged.length).toBeGreaterThan(0);
    expect(sent.filter((s) => /to 's3:\/\/pulse-lake\/curated\/(?!_staging\/)/.test(s)).length).toBe(0);
    // Curated rows of a touched month are copied out (a scratch table) before the fold is staged.
    const copy = sent.findIndex((s) => /^create table "pulse"\."pulse_scratch_\w+_versions_tickets"/.test(s));
    const tickets = /to 's3:\/\/pulse-lake\/curated\/_staging\/tickets\/[0-9a-f]{8}\/'/;
    const rewrite = sent.findIndex((s) => s.startsWith('unload (') && tickets.test(s));
    expect(copy).toBeGreaterThan(-1);
    expect(sent[copy]).toMatch(/from "pulse"\."tickets"( as c)? where month in \('2026-10'\)/);
    expect(rewrite).toBeGreaterThan(copy);
    // A mart's UNLOAD goes to a write prefix of its own, which no manifest names until committed.
    const into = (mart: string) => new RegExp(`to 's3://pulse-lake/marts/${mart}/w=[0-9a-f]{12}/'`);
    expect(sent.filter((s) => into('tickets_created').test(s)).length).toBe(1);
    expect(sent.filter((s) => into('kpi_monthly').test(s)).length).toBe(1);
  });

  it('evaluates on Athena too: its queries read the marts, and kpis.json is written', async () => {
    const evaluated = sent.slice(martsSent);
    expect(evaluated.length).toBeGreaterThan(0);
    expect(evaluated.some((q) => /\bfrom kpi_monthly\b/.test(q))).toBe(true);
    expect(await new FolderStore(lake).get('reports/2026-10/kpis.json')).not.toBeNull();
  });

  it('leaves no scratch table: every one created is dropped; none names a location in the lake', () => {
    const created = sent.flatMap((s) => /^create table ("pulse"\."pulse_scratch_\w+")/.exec(s)?.[1] ?? []);
    // DROP TABLE is Hive DDL in Athena: its names are quoted in backticks.
    const drop = /^drop table if exists `pulse`\.`(pulse_scratch_\w+)`$/;
    const dropped = sent.flatMap((s) => drop.exec(s)?.[1] ?? []).map((t) => `"pulse"."${t}"`);
    expect(created.length).toBeGreaterThan(0);
    expect([...dropped].sort()).toEqual([...created].sort());
    expect(sent.filter((s) => /^drop\b/i.test(s) && s.includes('"'))).toEqual([]);
    // The workgroup enforces its configuration: a CTAS naming external_location would fail.
    expect(sent.filter((s) => /external_location/i.test(s))).toEqual([]);
    expect(cleared.filter((p) => !/^(curated|marts)\//.test(p))).toEqual([]);
    for (const prefix of cleared.filter((p) => p.startsWith('curated/_staging/'))) {
      expect(prefix).toMatch(/^curated\/_staging\/\w+\/[0-9a-f]{8}\/(month=\d{4}-\d{2}\/)?$/);
    }
  });

  it('names no relation Athena would not find: every bare table name is a stack table or a WITH entry', () => {
    const stackTables = /"pulse"\."\w+"/g;
    for (const sql of sent) {
      const code = sql.replace(/'(?:[^']|'')*'|--[^\n]*/g, "''");
      const bare =
        code.replace(stackTables, 'stack_table').match(/\b(?:from|join)\s+([a-z_][a-z0-9_]*)\b(?!\s*[.(])/gi) ?? [];
      const defined = new Set(
        [...code.matchAll(/(?:^|,\s*|with\s+)([a-z_][a-z0-9_]*) as \(/gim)].map((m) => m[1]!.toLowerCase()),
      );
      const unknown = bare
        .map((b) => b.split(/\s+/)[1]!.toLowerCase())
        .filter((ref) => !defined.has(ref) && !sqlWords.has(ref) && !catalogTables.has(ref));
      expect(unknown, sql.slice(0, 400)).toEqual([]);
    }
  });
});
