import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEngine } from '../../functions/adapters/local/duckdbEngine.ts';
import { FolderStore } from '../../functions/adapters/local/folderStore.ts';
import { readSql, renderSql } from '../../functions/dialect/sqlText.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import { loadConfig } from '../../functions/config/load.ts';
import { periodsParams, sqlParams } from '../../functions/stages/lake.ts';

/**
 * conversion_after_contact_rate's edges, run through sql/kpis/customers.sql on DuckDB: the
 * window is (contact, contact + 7 days], any contact in the period counts, an order before the
 * contact or at the same instant does not, and an order after the period still converts.
 * Measured for two periods in one statement, each keeps its own contacts and their windows.
 */
let engine: DuckDbEngine;

const contacts: [string, string][] = [
  ['c1', '2026-10-02 10:00:00'], // O 2026-10-09 10:00:00: exactly 7 days later → converted
  ['c2', '2026-10-02 10:00:00'], // O 2026-10-09 10:00:01: one second past the window → not
  ['c3', '2026-10-05 09:00:00'], // O at the same instant → not (the order must come after)
  ['c4', '2026-10-03 08:00:00'], // O on 10-01 (before) and 2nd contact 10-20 → O 10-22 → converted
  ['c4', '2026-10-20 08:00:00'],
  ['c5', '2026-10-30 12:00:00'], // O on 2026-11-02, after the period → converted
  ['c6', '2026-10-10 12:00:00'], // no order → not
  ['c7', '2026-09-30 12:00:00'], // contact in September: not a contacted customer of October
  ['c10', '2026-09-30 23:59:59'], // O exactly 7 days later, 1 s inside 7 days after September → converted
  ['c11', '2026-09-30 23:59:59'], // O 7 days and 2 s later → not
];
const orders: [string, string][] = [
  ['c1', '2026-10-09 10:00:00'],
  ['c2', '2026-10-09 10:00:01'],
  ['c3', '2026-10-05 09:00:00'],
  ['c4', '2026-10-01 08:00:00'],
  ['c4', '2026-10-22 08:00:00'],
  ['c5', '2026-11-02 12:00:00'],
  ['c7', '2026-10-01 12:00:00'],
  ['c10', '2026-10-07 23:59:59'],
  ['c11', '2026-10-08 00:00:01'],
];

beforeAll(async () => {
  engine = await DuckDbEngine.open(new FolderStore(path.resolve(import.meta.dirname, '../../.tmp/conversion')));
  const values = (rows: [string, string][]) => rows.map(([c, at]) => `('${c}', timestamp '${at}', '${at.slice(0, 7)}')`).join(', ');
  await engine.run(`create table tickets_created as select * from (values ${values(contacts)}) as t(customer_id, created_at, month)`);
  await engine.run(`create table orders as select 'O' || row_number() over () as id, * from (values ${values(orders)}) as t(customer_id, ordered_at, month)`);
  await engine.run('create table surveys (kind varchar, score integer, answered_at timestamp, month varchar)');
  await engine.run('create table subscriptions (customer_id varchar, started_on date, cancelled_on date, mrr double)');
  await engine.run('create table customers (id varchar, signed_up_on date)');
});

afterAll(async () => engine.close());

describe('conversion after contact', () => {
  it('counts customers with an order in (contact, contact + 7 days] of any of their October contacts', async () => {
    // The golden catalog's config: UTC, conversionWindowDays 7.
    const { config } = await loadConfig(path.resolve(import.meta.dirname, '../fixtures/golden-catalog/pulse.config.json'));
    expect([config.timezone, config.definitions.conversionWindowDays]).toEqual(['UTC', 7]);
    const params = sqlParams(config, parsePeriod('2026-10'));
    const rows = await engine.query(renderSql(readSql('kpis/customers.sql'), params));
    const conversion = rows.find((r) => r.kpi === 'conversion_after_contact_rate' && r.dimension === '');
    // Contacted in October: c1..c6 = 6; converted: c1, c4, c5 = 3.
    expect(conversion).toMatchObject({ numerator: 3, denominator: 6 });
  });

  it('measures September beside October in one statement, each period its own contacts and windows', async () => {
    const { config } = await loadConfig(path.resolve(import.meta.dirname, '../fixtures/golden-catalog/pulse.config.json'));
    const params = periodsParams(config, [parsePeriod('2026-09'), parsePeriod('2026-10')]);
    const rows = await engine.query(renderSql(readSql('kpis/customers.sql'), params));
    const conversion = (period: string) =>
      rows.find((r) => r.period === period && r.kpi === 'conversion_after_contact_rate' && r.dimension === '');
    // Contacted in September: c7, c10, c11 = 3; converted: c7 (1 day), c10 (exactly 7 days, its
    // order 1 s before 7 days past September's end) = 2; c11's order is 7 days and 2 s later.
    expect(conversion('2026-09')).toMatchObject({ numerator: 2, denominator: 3 });
    // October as measured alone: c1, c4, c5 of c1..c6; c7's October order is September's.
    expect(conversion('2026-10')).toMatchObject({ numerator: 3, denominator: 6 });
  });
});
