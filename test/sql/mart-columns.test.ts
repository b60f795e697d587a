import path from 'node:path';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PulseConfig } from '../../functions/config/schema.ts';
import { martTables } from '../../functions/model/marts.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { buildFixtureLake } from '../support/lake.ts';

/**
 * Every mart's declared columns (functions/model/marts.ts, what the Glue tables say) are the
 * names, order and types of the Parquet the marts stage writes: Athena fails a query over a
 * Parquet column whose type differs from the table's. Built on the whole-catalog fixture, and
 * on the golden one with fractional SLA hours (a decimal literal in the SQL).
 */
const lakes = path.resolve(import.meta.dirname, '../../.tmp/mart-columns');
const fixtures = {
  catalog: path.resolve(import.meta.dirname, '../fixtures/golden-catalog/pulse.config.json'),
  golden: path.resolve(import.meta.dirname, '../fixtures/golden/pulse.config.json'),
};
const contexts: Record<string, StageContext> = {};

/** DuckDB's spelling of a type, as declared: VARCHAR → varchar, DECIMAL(18,2) → decimal(18,2). */
const declared = (duckType: string) => duckType.toLowerCase().replace(/\s+/g, '');

beforeAll(async () => {
  for (const [name, fixture] of Object.entries(fixtures)) {
    const { ctx } = await buildFixtureLake(fixture, '2026-10', {
      lake: path.join(lakes, name),
      now: new Date('2026-11-02T06:00:00Z'),
      ...(name === 'golden'
        ? {
            configure: (config: PulseConfig) => {
              config.definitions.sla.high = { firstReplyHours: 1.5, resolutionHours: 12.25 };
            },
          }
        : {}),
    });
    contexts[name] = ctx;
  }
});

afterAll(async () => {
  for (const ctx of Object.values(contexts)) await ctx.engine.close();
  rmSync(lakes, { recursive: true, force: true });
});

describe('mart columns as declared for the catalog', () => {
  for (const name of Object.keys(fixtures)) {
    it(`match the Parquet the marts stage writes (${name} fixture)`, async () => {
      const ctx = contexts[name]!;
      const written: Record<string, string[]> = {};
      const expected: Record<string, string[]> = {};
      for (const mart of martTables) {
        // A mart with no rows writes no file (the golden fixture has no costs, so no trc).
        if (!(await ctx.store.list(mart.prefix)).some((k) => k.endsWith('.parquet'))) continue;
        const columns = await ctx.engine.query(`describe select * from read_parquet('${ctx.store.locate(mart.prefix)}/**/*.parquet', hive_partitioning = false)`);
        written[mart.name] = columns.map((c) => `${c.column_name} ${declared(String(c.column_type))}`);
        expected[mart.name] = mart.columns.map((c) => `${c.name} ${c.sqlType.replace(/\s+/g, '')}`);
      }
      expect(Object.keys(written).length).toBeGreaterThanOrEqual(name === 'catalog' ? martTables.length : 5);
      expect(written).toEqual(expected);
    });
  }
});
