import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TrinoSQL } from 'dt-sql-parser';
import { describe, expect, it } from 'vitest';
import { renderSql } from '../../functions/dialect/sqlText.ts';
import { stagingSql } from '../../functions/dialect/staging.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import { configSchema } from '../../functions/config/schema.ts';
import { entities } from '../../functions/model/index.ts';
import { sqlParams } from '../../functions/stages/lake.ts';

/** Every file in sql/ (but the DuckDB shims) must parse as Trino, the dialect Athena runs. */
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
    const sql = renderSql(readFileSync(path.join(sqlDir, file), 'utf8'), params);
    expect(trinoErrors(sql)).toEqual([]);
  });

  it.each(files.filter((f) => f.startsWith('kpis')))('%s parses for a quarter, one period_month_bounds row per month', (file) => {
    const quarter = { ...sqlParams(config, parsePeriod('2026-Q3')), csat_from_surveys: true, has_contacts: true };
    expect(sqlParams(config, parsePeriod('2026-Q3')).period_month_bounds).toEqual({
      raw: "(values (date '2026-07-01', date '2026-07-31'), (date '2026-08-01', date '2026-08-31'), (date '2026-09-01', date '2026-09-30'))",
    });
    expect(trinoErrors(renderSql(readFileSync(path.join(sqlDir, file), 'utf8'), quarter))).toEqual([]);
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
});
