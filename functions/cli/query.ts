import { existsSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { DuckDbEngine } from '../adapters/local/duckdbEngine.ts';
import { FolderStore } from '../adapters/local/folderStore.ts';
import { OutboxTransport } from '../adapters/local/outbox.ts';
import { resolveLake, type LoadedConfig } from '../config/load.ts';
import { UsageError } from '../errors.ts';
import { parsePeriod } from '../kpis/period.ts';
import { analystQueries, type AnalystQuery } from '../model/analystQueries.ts';
import type { Row } from '../ports/queryEngine.ts';
import { neutraliseCell } from '../report/cells.ts';
import { createStageContext } from '../stages/context.ts';
import { registerLake } from '../stages/lake.ts';
import { displayPath } from './displayPath.ts';

export type QueryFormat = 'table' | 'csv' | 'json';

export interface QueryResult {
  columns: string[];
  rows: Row[];
}

/** The named queries: the analysts' queries Athena saves in the workgroup too (infra/namedQueries.ts). */
export const namedQueries = analystQueries;

/** A named query by its name, with or without the `pulse-` its Athena name starts with. */
export function namedQuery(name: string): AnalystQuery {
  const found = analystQueries.find((q) => q.name === name || q.name === `pulse-${name}`);
  if (!found)
    throw new UsageError(
      `no named query "${name}": the named queries are ${analystQueries.map((q) => q.name).join(', ')} (pulse query --list)`,
    );
  return found;
}

/** `pulse query --list`: each named query's name and what it answers. */
export function namedQueryList(): string {
  const width = Math.max(...analystQueries.map((q) => q.name.length));
  return `${analystQueries.map((q) => `${q.name.padEnd(width)}  ${q.description}`).join('\n')}\n`;
}

/**
 * Runs one SELECT over a folder lake in DuckDB, with the curated tables and marts registered as
 * views under the names the Glue catalog gives them (functions/stages/lake.ts, infra/lakeStack.ts),
 * so the text runs on Athena unchanged (docs/design.md, "What users touch"). Only reads: the
 * views are in an in-memory database, the lake's files are not written (what does not fit the
 * memory limit spills under the lake's _scratch/, as in a run).
 */
export async function queryLake(loaded: LoadedConfig, sql: string, month: string): Promise<QueryResult> {
  const lake = resolveLake(loaded);
  if (lake.startsWith('s3://'))
    throw new UsageError(
      `${displayPath(loaded.file)}: lake: ${lake} is in S3: run the SQL in Athena (workgroup ${loaded.config.athena.workgroup}, database ${loaded.config.athena.database}); pulse query reads a folder lake`,
    );
  if (!existsSync(lake))
    throw new UsageError(`no lake at ${displayPath(lake)}: run \`pulse run --config … --period …\` first`);
  const store = new FolderStore(lake);
  const memoryLimit = loaded.config.duckdb.memoryLimit;
  const engine = await DuckDbEngine.onLake(store, memoryLimit ? { memoryLimit } : {});
  try {
    const ctx = createStageContext({
      config: loaded.config,
      period: parsePeriod(month),
      store,
      engine,
      mail: new OutboxTransport(store),
      sources: [],
    });
    await registerLake(ctx, undefined, { catalog: true });
    const rows = await engine.query(sql);
    return { columns: rows.length > 0 ? Object.keys(rows[0]!) : [], rows };
  } finally {
    await engine.close();
  }
}

/** A cell as the table shows it: a fraction to 6 significant digits (CSV and JSON keep every digit). */
const shownValue = (value: Row[string]) =>
  value === null
    ? ''
    : typeof value === 'number' && !Number.isInteger(value)
      ? String(Number(value.toPrecision(6)))
      : String(value);

/** Rows as an aligned table: numbers to the right, text to the left, a count below. */
function asTable({ columns, rows }: QueryResult): string {
  const count = `(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
  if (columns.length === 0) return count;
  const numeric = columns.map((c) => rows.every((r) => r[c] === null || typeof r[c] === 'number'));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => shownValue(r[c]!).length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [
    line(columns),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map((r) => line(columns.map((c) => shownValue(r[c]!)))),
    count,
  ].join('\n');
}

/** The result in the format asked: an aligned table, CSV (formulas neutralised, for a spreadsheet), or JSON rows. */
export function formatResult(result: QueryResult, format: QueryFormat): string {
  if (format === 'json') return `${JSON.stringify(result.rows, null, 2)}\n`;
  if (format === 'csv')
    return stringify(
      [
        result.columns.map((c) => neutraliseCell(c)),
        ...result.rows.map((r) => result.columns.map((c) => neutraliseCell(r[c]!))),
      ],
      { cast: { boolean: (b) => (b ? 'true' : 'false') } },
    );
  return asTable(result);
}
