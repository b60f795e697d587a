import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AthenaEngine } from '../../functions/adapters/aws/athenaEngine.ts';
import { DuckDbEngine } from '../../functions/adapters/local/duckdbEngine.ts';
import { FolderStore } from '../../functions/adapters/local/folderStore.ts';
import { duckdbRules, trinoRules } from '../../functions/dialect/ruleDialect.ts';
import { sqlString } from '../../functions/dialect/sqlText.ts';
import { validationSql, type ValidationSpec } from '../../functions/dialect/validation.ts';
import { entityByName } from '../../functions/model/index.ts';
import type { QueryEngine } from '../../functions/ports/queryEngine.ts';
import { serveAthenaForTests } from '../support/athenaLocal.ts';

/**
 * Exports read right, on both engines (issue 21): the validation SQL curate generates, run in
 * DuckDB's spelling on DuckDB and in Trino's through the Athena stand-in (Trino's semantics where
 * the two differ: date_parse's %y window, casts, regexp), over the same cells, gives the same rows.
 */
let root = '';
let duckdb: DuckDbEngine;
let athena: AthenaEngine;
let services: Awaited<ReturnType<typeof serveAthenaForTests>> | undefined;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'pulse-exports-'));
  duckdb = await DuckDbEngine.open(new FolderStore(root));
  services = await serveAthenaForTests('athena-exports');
  athena = new AthenaEngine({
    workGroup: 'pulse',
    database: 'pulse',
    lake: 's3://pulse-lake/',
    timings: { pollFirstMs: 10, pollMaxMs: 100 },
  });
}, 120_000);

afterAll(async () => {
  await athena?.close();
  await duckdb?.close();
  await services?.stop();
  rmSync(root, { recursive: true, force: true });
});

type Spec = Partial<Pick<ValidationSpec, 'values' | 'zone' | 'dateFormat' | 'decimal'>> & { currency?: string };

/** A value as both engines' rows are compared: numbers as numbers, timestamps as `YYYY-MM-DD HH:MM:SS`. */
function plain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString().slice(0, 19).replace('T', ' ');
  if (typeof value === 'bigint') return Number(value);
  const text = String(value);
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}/.test(text)) return text.slice(0, 19).replace('T', ' ');
  return text;
}

/**
 * The rows the validation SQL gives for `cells` (one record per data row, header → cell) on one
 * engine: `landed` is the cells as a VALUES relation, as registerLanded would give them.
 */
async function validate(
  engine: QueryEngine,
  entityName: string,
  spec: Spec,
  cells: Record<string, string | null>[],
  columns: string[],
): Promise<Record<string, unknown>[]> {
  const entity = entityByName(entityName)!;
  const fields = Object.keys(cells[0]!);
  const full: ValidationSpec = {
    entity,
    fields,
    values: spec.values ?? {},
    zone: spec.zone ?? 'UTC',
    dateFormat: spec.dateFormat,
    decimal: spec.decimal,
    // Curate gives a ticket its source's name.
    defaults: entity.columns.some((c) => c.name === 'source') ? { source: 'helpdesk' } : {},
    config: { currency: spec.currency ?? 'USD' },
  };
  const text = (v: string | null) => (v === null ? 'cast(null as varchar)' : sqlString(v));
  const values = cells
    .map(
      (row, i) =>
        `('export.csv', cast(${i + 1} as bigint), cast(${i + 2} as bigint), cast(null as varchar), cast(null as varchar), ${fields.map((f) => text(row[f] ?? null)).join(', ')})`,
    )
    .join(', ');
  const landed = `(values ${values}) as landed(_file, _row, _line, _reject, _message, ${fields.join(', ')})`;
  const sql = validationSql(full, engine.dialect === 'trino' ? trinoRules : duckdbRules);
  expect(sql).toContain('\n    from landed\n');
  const select = ['_row', '_reason', '_field', '_message', ...columns.flatMap((c) => [c, `_issue_${c}`])];
  const rows = await engine.query(
    `select ${select.join(', ')} from (${sql.replace('\n    from landed\n', `\n    from ${landed}\n`)}) as v order by _row`,
  );
  return rows.map((r) => Object.fromEntries(select.map((c) => [c, plain(r[c])])));
}

/** The same cells validated on DuckDB and through the Athena stand-in: one answer, returned. */
async function onBoth(
  entityName: string,
  spec: Spec,
  cells: Record<string, string | null>[],
  columns: string[],
): Promise<Record<string, unknown>[]> {
  const local = await validate(duckdb, entityName, spec, cells, columns);
  const cloud = await validate(athena, entityName, spec, cells, columns);
  expect(cloud).toEqual(local);
  return local;
}

/** What the corpus looks at in a row: [reason, field] of a reject, else [value, field issue]. */
const outcome = (row: Record<string, unknown>, column: string) =>
  row._reason === null ? [row[column], row[`_issue_${column}`]] : [row._reason, row._field];

const ticket = (cells: Record<string, string>) => ({
  id: 'T1',
  created_at: '2026-10-01T08:00:00Z',
  status: 'open',
  ...cells,
});

describe('a comma in a number, with no decimal key (issue 21)', () => {
  it('is never a thousands separator by guess: 12,500 is bad_number beside 90,5, on both engines', async () => {
    const rows = await onBoth(
      'tickets',
      {},
      ['12,500', '90,5', '12', '1,234.5'].map((handle_seconds) => ticket({ handle_seconds })),
      ['handle_seconds'],
    );
    expect(rows.map((r) => outcome(r, 'handle_seconds'))).toEqual([
      [null, 'bad_number'],
      [null, 'bad_number'],
      [12, null],
      [null, 'bad_number'],
    ]);
  });

  it('rejects a required amount with the hint to set decimal; decimal "." reads 12,500 as 12500', async () => {
    const cost = (amount: string) => ({ period: '2026-10', cost_center: 'cc', category: 'tooling', amount });
    const [unset] = await onBoth('costs', {}, [cost('12,500')], ['amount']);
    expect(outcome(unset!, 'amount')).toEqual(['bad_number', 'amount']);
    expect(unset!._message).toMatch(
      /"12,500" is not a number: a comma in a number is read only with the source's decimal set/,
    );
    const [point] = await onBoth('costs', { decimal: '.' }, [cost('12,500')], ['amount']);
    expect(outcome(point!, 'amount')).toEqual([12500, null]);
  });
});

describe('money as exported (issue 21)', () => {
  const cost = (amount: string) => ({ period: '2026-10', cost_center: 'cc', category: 'labor', amount });

  it("reads a sign or code of the config's currency before or after the amount (EUR, decimal comma)", async () => {
    const amounts = ['45.678,90 €', 'EUR 12,50', '€12,50', '12,50 EUR', '-€3', '12,50\u00a0€', 'eur 1'];
    const rows = await onBoth('costs', { currency: 'EUR', decimal: ',' }, amounts.map(cost), ['amount']);
    expect(rows.map((r) => outcome(r, 'amount'))).toEqual([
      [45678.9, null],
      [12.5, null],
      [12.5, null],
      [12.5, null],
      [-3, null],
      [12.5, null],
      [1, null],
    ]);
  });

  it('rejects another currency as currency_mismatch; letters that are no currency stay bad_number', async () => {
    const amounts = ['$12.50', 'US$ 12.50', '12.50 USD', '€12.50', '12.50 GBP', '12.50 ABC', 'twelve', '£'];
    const rows = await onBoth('costs', {}, amounts.map(cost), ['amount']);
    expect(rows.map((r) => outcome(r, 'amount'))).toEqual([
      [12.5, null],
      [12.5, null],
      [12.5, null],
      ['currency_mismatch', 'amount'],
      ['currency_mismatch', 'amount'],
      ['bad_number', 'amount'],
      ['bad_number', 'amount'],
      ['bad_number', 'amount'],
    ]);
    expect(rows[3]!._message).toBe(
      `export.csv line 5 (row 4): amount: "€12.50" is in another currency than the config's USD: amounts are never converted`,
    );
  });

  it("an optional money field in another currency is a field issue, the row kept (an agent's hourly cost)", async () => {
    const agent = (loaded_hourly_cost: string) => ({
      id: 'a1',
      name: 'Ana',
      team: 'frontline',
      hired_on: '2026-01-05',
      loaded_hourly_cost,
    });
    const rows = await onBoth(
      'agents',
      { currency: 'GBP' },
      [agent('£42.10'), agent('42.10 EUR')],
      ['loaded_hourly_cost'],
    );
    expect(rows.map((r) => outcome(r, 'loaded_hourly_cost'))).toEqual([
      [42.1, null],
      [null, 'currency_mismatch'],
    ]);
  });
});

describe('two-digit years (issue 21)', () => {
  const created = (created_at: string) => ticket({ created_at });

  it('10/5/26 is bad_timestamp without a dateFormat and under a four-digit one, on both engines', async () => {
    // DuckDB's own cast reads "10/5/26" as 26 May of the year 10; Trino's refuses it.
    for (const dateFormat of [undefined, 'd/M/yyyy', 'dd.MM.yyyy HH:mm']) {
      const rows = await onBoth('tickets', { dateFormat }, [created('10/5/26'), created('10-5-26')], ['created_at']);
      expect(rows.map((r) => outcome(r, 'created_at'))).toEqual([
        ['bad_timestamp', 'created_at'],
        ['bad_timestamp', 'created_at'],
      ]);
    }
  });

  it('with dateFormat yy, the year is 20yy on both engines, whose own %y windows differ', async () => {
    // DuckDB's %y gives 69 → 1969, the stand-in's (Trino's) 2069: both are 2069 here.
    const texts = ['10/5/26', '1/12/69 08:30', '10/5/70', '29/2/00', '10/5/2026', '10/5/6'];
    const rows = await onBoth('tickets', { dateFormat: 'd/M/yy H:mm' }, texts.map(created), ['created_at']);
    expect(rows.map((r) => outcome(r, 'created_at'))).toEqual([
      ['2026-05-10 00:00:00', null],
      ['2069-12-01 08:30:00', null],
      ['2070-05-10 00:00:00', null],
      ['2000-02-29 00:00:00', null],
      ['bad_timestamp', 'created_at'],
      ['bad_timestamp', 'created_at'],
    ]);
  });

  it('a date field reads yy as 20yy, and a two-digit year under yyyy is bad_date', async () => {
    const day = (date: string) => ({ agent_id: 'a1', date, hours_worked: '1' });
    const yy = await onBoth('agent_time', { dateFormat: 'dd.MM.yy' }, [day('10.05.26'), day('10.05.2026')], ['date']);
    expect(yy.map((r) => outcome(r, 'date'))).toEqual([
      ['2026-05-10', null],
      ['bad_date', 'date'],
    ]);
    const yyyy = await onBoth('agent_time', { dateFormat: 'dd.MM.yyyy' }, [day('10.05.26')], ['date']);
    expect(yyyy.map((r) => outcome(r, 'date'))).toEqual([['bad_date', 'date']]);
  });
});

describe("DESIGN's order rules, on both engines (issue 21)", () => {
  it('items_shipped_first above items_requested is a field issue (null), the order kept', async () => {
    const order = (items_shipped_first: string) => ({
      id: 'O1',
      ordered_at: '2026-10-01T08:00:00Z',
      items_requested: '3',
      items_shipped_first,
    });
    const rows = await onBoth('orders', {}, [order('5'), order('3')], ['items_shipped_first']);
    expect(rows.map((r) => outcome(r, 'items_shipped_first'))).toEqual([
      [null, 'inconsistent'],
      [3, null],
    ]);
  });
});
