import type { Entity } from '../model/index.ts';
import { ident } from './sqlText.ts';

/**
 * Staging SQL (raw → curated) is generated from each entity's definition (key, version column,
 * month column) so the dedupe rule lives in one place; `npm run generate:files` writes it to
 * sql/staging/ where analysts and Athena read it, and a test keeps the files in step.
 */
const indent = (lines: string[], n: number) => lines.map((l) => `${' '.repeat(n)}${l}`);

/** The business-time-zone month of a timestamp, in syntax both Trino and DuckDB (with shims) accept. */
export function localMonthExpr(column: string): string {
  return `substr(cast(cast(at_timezone(${column}, {{timezone}}) as date) as varchar), 1, 7)`;
}

export function monthExpr(entity: Entity): string | null {
  if (!entity.monthOf) return null;
  if (entity.monthIsLiteral) return ident(entity.monthOf);
  const column = entity.columns.find((c) => c.name === entity.monthOf);
  if (column?.kind === 'date') return `substr(cast(${ident(entity.monthOf)} as varchar), 1, 7)`;
  return localMonthExpr(ident(entity.monthOf));
}

export function stagingSql(entity: Entity): string {
  const order = [...(entity.version ? [`${ident(entity.version)} desc nulls last`] : []), '_run desc', '_seq desc'];
  const month = monthExpr(entity);
  const columns = entity.columns.map((c) => `${ident(c.name)},`);
  const finalColumns = month
    ? [...columns, `${month} as month`]
    : [...columns.slice(0, -1), columns.at(-1)!.slice(0, -1)];
  const deleted = entity.columns.some((c) => c.name === 'is_deleted');
  return [
    `-- stg_${entity.name}: ${entity.description}`,
    '-- Generated from functions/model by `npm run generate:files`; edit the entity, not this file.',
    `-- Latest version of each ${entity.key.join(' + ')} wins${entity.version ? ` (by ${entity.version}, then ingestion order)` : ' (by ingestion order)'}${deleted ? '; deleted records are dropped' : ''}.`,
    '',
    'with raw_records as (',
    `    select * from raw_${entity.name}`,
    '),',
    '',
    'ranked_versions as (',
    '    select',
    '        *,',
    '        row_number() over (',
    `            partition by ${entity.key.map(ident).join(', ')}`,
    `            order by ${order.join(', ')}`,
    '        ) as version_rank',
    '    from raw_records',
    '),',
    '',
    'final as (',
    '    select',
    ...indent(finalColumns, 8),
    '    from ranked_versions',
    `    where version_rank = 1${deleted ? '\n        and not is_deleted' : ''}`,
    ')',
    '',
    'select * from final',
    '',
  ].join('\n');
}
