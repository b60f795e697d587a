import { sqlFiles } from './sqlFiles.generated.ts';

/**
 * The SQL in sql/ is one text for Trino (Athena engine v3) and DuckDB. Values from the config
 * reach it as `{{name}}` placeholders rendered here as SQL literals, the same in both engines.
 */
export type SqlValue = string | number | boolean | null | readonly (string | number)[] | { raw: string };

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function sqlLiteral(value: SqlValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return sqlString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} into SQL`);
    return Number.isInteger(value) ? String(value) : `cast(${value} as double)`;
  }
  if (Array.isArray(value)) {
    // An empty IN-list is not valid SQL; a list holding only null matches nothing.
    return value.length === 0 ? '(null)' : `(${value.map((v) => sqlLiteral(v)).join(', ')})`;
  }
  return (value as { raw: string }).raw;
}

/** `{{ ref('int_name') }}`: an intermediate model of sql/intermediate/, read in place (readSql). */
const refPattern = /\{\{\s*ref\('([a-z_][a-z0-9_]*)'\)\s*\}\}/g;

/**
 * A file of sql/, e.g. `marts/tickets_created.sql`, from the copy the code carries (sqlBundle.ts).
 * Each `{{ ref('int_name') }}` in it becomes sql/intermediate/int_name.sql as a derived table, its
 * comment lines left out: a rule that several queries share (the TRC allocation's direct labour,
 * ledger and handle load) is written once and read by all of them, in any engine, with no view to
 * register before the tables it reads exist (docs/design.md, "Intermediate models").
 */
export function readSql(relativePath: string): string {
  const text = sqlFiles[relativePath];
  if (text === undefined)
    throw new Error(
      `sql/${relativePath} does not exist (or npm run generate:files has not copied it into functions/dialect/sqlFiles.generated.ts)`,
    );
  return inlineRefs(text);
}

/**
 * A text of sql/ with each `{{ ref('int_name') }}` read in place, as readSql reads it: the KPI
 * queries' bench (bench/kpi-queries.ts) reads a query's text from an earlier commit with it.
 */
export function inlineRefs(text: string): string {
  return text.replace(refPattern, (_, name: string) => {
    const body = readSql(`intermediate/${name}.sql`)
      .split('\n')
      .filter((line) => !line.startsWith('--') && line.trim() !== '');
    return `(\n${body.join('\n')}\n)`;
  });
}

/** Fills every `{{name}}`; a placeholder without a value is a programming error, not a silent null. */
export function renderSql(text: string, params: Record<string, SqlValue>): string {
  return text.replace(/\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/gi, (_, name: string) => {
    if (!(name in params)) throw new Error(`SQL placeholder {{${name}}} has no value`);
    return sqlLiteral(params[name] as SqlValue);
  });
}

/** Strips a trailing semicolon and comments-only tail so the text can be wrapped in COPY/UNLOAD. */
export function asSubquery(text: string): string {
  return text.trim().replace(/;\s*$/, '');
}

/**
 * The greatest of some nullable expressions, NULLs left out (NULL only when all are), the same in
 * both engines. Trino's greatest is NULL as soon as one argument is (Trino docs, "Comparison
 * functions and operators", https://trino.io/docs/current/functions/comparison.html#greatest-and-least),
 * DuckDB's skips NULLs (https://duckdb.org/docs/stable/sql/functions/numeric.html#greatestx1-x2-):
 * each argument is coalesced with the others, so greatest never sees a NULL unless every one is.
 */
export function greatestOf(exprs: readonly string[]): string {
  if (exprs.length === 1) return exprs[0]!;
  const coalesced = exprs.map((e, i) => `coalesce(${[e, ...exprs.filter((_, j) => j !== i)].join(', ')})`);
  return `greatest(${coalesced.join(', ')})`;
}

/** Words reserved in Trino or DuckDB that the canonical model uses as column names. */
const reservedWords = new Set([
  'at',
  'order',
  'group',
  'from',
  'to',
  'end',
  'case',
  'when',
  'user',
  'values',
  'partition',
  'current_date',
  'time',
]);

/** An identifier, double-quoted (valid in both engines) when it is reserved or unusual. */
export function ident(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) && !reservedWords.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
