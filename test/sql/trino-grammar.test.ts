import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TrinoSQL } from 'dt-sql-parser';
import { describe, expect, it } from 'vitest';
import { duckdbRules, trinoRules } from '../../functions/dialect/ruleDialect.ts';
import { readSql, renderSql } from '../../functions/dialect/sqlText.ts';
import { validationSql, type ValidationSpec } from '../../functions/dialect/validation.ts';
import { stagingSql } from '../../functions/dialect/staging.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import { configSchema } from '../../functions/config/schema.ts';
import { entities } from '../../functions/model/index.ts';
import { sqlParams } from '../../functions/stages/lake.ts';

/**
 * Every file in sql/ (but the DuckDB shims) must parse as Trino, the dialect Athena runs, as the
 * code reads it (readSql: its ref()s to intermediate models inlined).
 */
const sqlDir = path.resolve(import.meta.dirname, '../../sql');
const files = readdirSync(sqlDir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.sql') && !f.startsWith('dialect'))
  .sort();

const config = configSchema.parse({ lake: './lake', sources: [{ name: 's', type: 'csv', entity: 'tickets', path: 'x.csv' }] });
const params = { ...sqlParams(config, parsePeriod('2026-10')), csat_from_surveys: true, has_contacts: true };
const trino = new TrinoSQL();

function trinoErrors(sql: string): string[] {
  return trino.validate(sql).map((e) => `${e.startLine}:${e.startColumn} ${e.message}`);
}

describe('sql/ is valid Trino', () => {
  it('finds the SQL files', () => {
    expect(files.length).toBeGreaterThanOrEqual(11 + 4);
  });

  it.each(files)('%s parses with the Trino grammar', (file) => {
    const sql = renderSql(readSql(file), params);
    expect(trinoErrors(sql)).toEqual([]);
  });

  it.each(files.filter((f) => f.startsWith('kpis')))('%s parses for a quarter, one period_month_bounds row per month', (file) => {
    const quarter = { ...sqlParams(config, parsePeriod('2026-Q3')), csat_from_surveys: true, has_contacts: true };
    expect(sqlParams(config, parsePeriod('2026-Q3')).period_month_bounds).toEqual({
      raw: "(values (date '2026-07-01', date '2026-07-31'), (date '2026-08-01', date '2026-08-31'), (date '2026-09-01', date '2026-09-30'))",
    });
    expect(trinoErrors(renderSql(readSql(file), quarter))).toEqual([]);
  });

  it.each(['select * from t qualify row_number() over (order by a) = 1', 'select a, count(*) from t group by all', 'select a::int from t', 'select * exclude (a) from t'])(
    'rejects DuckDB-only syntax: %s',
    (sql) => {
      expect(trinoErrors(sql).length).toBeGreaterThan(0);
    },
  );

  it('keeps sql/staging in step with the canonical model (npm run generate:files)', () => {
    for (const entity of entities) {
      expect(readFileSync(path.join(sqlDir, `staging/stg_${entity.name}.sql`), 'utf8')).toBe(stagingSql(entity));
    }
  });

  // The bad-input rules curate runs (docs/design.md, "Bad input"), generated per entity and source:
  // the Trino rendering parses for Athena; the DuckDB one is what the corpus runs.
  const specs: [string, ValidationSpec][] = entities.flatMap((entity) => [
    [`${entity.name}, ISO dates, UTC`, { entity, fields: entity.columns.map((c) => c.name), values: {}, zone: 'UTC', defaults: {}, config: { currency: 'USD' } }] as [string, ValidationSpec],
    [
      `${entity.name}, a German export (dateFormat, decimal comma, value map, Europe/Berlin)`,
      { entity, fields: entity.columns.map((c) => c.name), values: { [entity.columns[1]!.name]: { Gelöst: 'solved', "it's": 'x' } }, zone: 'Europe/Berlin', dateFormat: 'dd.MM.yyyy HH:mm', decimal: ',', defaults: {}, config: { currency: 'EUR' } },
    ] as [string, ValidationSpec],
  ]);

  it.each(specs)('the validation SQL for %s parses with the Trino grammar', (_, spec) => {
    const sql = validationSql(spec, trinoRules);
    expect(sql).not.toMatch(/regexp_matches|try_strptime|isfinite|[^_]timezone\(/);
    expect(trinoErrors(sql)).toEqual([]);
  });

  it('renders the same rules in DuckDB with DuckDB functions', () => {
    const spec = specs[0]![1];
    expect(validationSql(spec, duckdbRules)).toMatch(/regexp_matches/);
  });
});
