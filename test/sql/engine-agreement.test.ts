import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEngine } from '../../functions/adapters/local/duckdbEngine.ts';
import { FolderStore } from '../../functions/adapters/local/folderStore.ts';
import { duckdbRules, trinoRules } from '../../functions/dialect/ruleDialect.ts';
import { numberGrammar, validationSql } from '../../functions/dialect/validation.ts';
import { entityByName } from '../../functions/model/index.ts';
import { freshestSql } from '../../functions/stages/curate.ts';

/**
 * Where Trino (Athena engine v3) and DuckDB define a function differently, Pulse's SQL must give
 * one answer on both. Trino's rule is stood in for on DuckDB by a macro (each cited), and the
 * same SQL is run under both rules.
 */
let engine: DuckDbEngine;
let root = '';

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'pulse-agreement-'));
  engine = await DuckDbEngine.open(new FolderStore(root));
  // Trino's greatest: NULL when any argument is NULL (https://trino.io/docs/current/functions/comparison.html).
  await engine.run(
    'create or replace macro trino_greatest(a, b) as case when a is null or b is null then null else greatest(a, b) end',
  );
});

afterAll(async () => {
  await engine.close();
  rmSync(root, { recursive: true, force: true });
});

/** The SQL as Trino would evaluate its greatest calls (two arguments each). */
const underTrino = (sql: string) => sql.replace(/\bgreatest\(/g, 'trino_greatest(');

describe('greatest over nullable times', () => {
  it("curate's freshest record time counts a row without updated_at by its created_at, on both engines", async () => {
    // prepare: the freshest row has no version; Trino's bare greatest would drop it.
    await engine.run(`create or replace table versions as select * from (values
      (timestamp '2026-10-05 08:00:00', timestamp '2026-10-01 08:00:00', cast(null as varchar)),
      (cast(null as timestamp), timestamp '2026-10-20 10:00:00', cast(null as varchar)),
      (cast(null as timestamp), cast(null as timestamp), cast(null as varchar)),
      (timestamp '2026-12-01 00:00:00', timestamp '2026-12-01 00:00:00', 'bad_timestamp'))
      as t(updated_at, created_at, _reason)`);
    const sql = freshestSql(['cast(updated_at as timestamp)', 'cast(created_at as timestamp)'], 'versions');
    // act
    const [duckdb] = await engine.query(sql);
    const [trino] = await engine.query(underTrino(sql));
    // assess
    const expected = Date.parse('2026-10-20T10:00:00Z') / 1000;
    expect(Number(duckdb!.at)).toBe(expected);
    expect(Number(trino!.at)).toBe(expected);
  });
});

/** Every `try_cast(<text> as double)` in the SQL: where it starts and its text. */
function doubleCasts(sql: string): { at: number; text: string }[] {
  const casts: { at: number; text: string }[] = [];
  for (let at = sql.indexOf('try_cast('); at !== -1; at = sql.indexOf('try_cast(', at + 1)) {
    let depth = 0;
    let end = at + 'try_cast'.length;
    for (; end < sql.length; end++) {
      if (sql[end] === '(') depth++;
      else if (sql[end] === ')' && --depth === 0) break;
    }
    const inner = sql.slice(at + 'try_cast('.length, end);
    if (inner.endsWith(' as double')) casts.push({ at, text: inner.slice(0, -' as double'.length) });
  }
  return casts;
}

describe('text to number', () => {
  it('holds every number field to one grammar before the cast, in the SQL of both engines', () => {
    // (What DuckDB then reads is the bad-input corpus's case "a number only as digits, …".)
    const entity = entityByName('tickets')!;
    const fields = entity.columns.map((c) => c.name);
    const spec = { entity, fields, values: {}, zone: 'UTC', defaults: {}, config: { currency: 'USD' } };
    const numbers = entity.columns.filter((c) => ['integer', 'number', 'money'].includes(c.kind)).length;
    expect(numbers).toBeGreaterThan(0);
    for (const rules of [trinoRules, duckdbRules]) {
      const sql = validationSql(spec, rules);
      const casts = doubleCasts(sql);
      expect(casts.length, rules.name).toBeGreaterThanOrEqual(numbers);
      // Each cast to double is the THEN of a test of the same text against the grammar.
      for (const { at, text } of casts) {
        expect(sql.slice(0, at).endsWith(`${rules.matches(`(${text})`, numberGrammar)} then `), rules.name).toBe(true);
      }
    }
  });
});
