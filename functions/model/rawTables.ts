import type { Entity } from './entity.ts';
import { lakeKeys } from './lakeKeys.ts';

/**
 * The tables over raw/ that curate reads in Athena, as data: the CDK stack defines them in Glue
 * and the Athena engine names them. Pure: no I/O.
 *
 * Each entity's parts lie under raw/<entity>/source=<source>/ingest_date=YYYY-MM-DD/ (lakeKeys),
 * so one table per entity and landed form reads every source's parts: `cells` (an export split
 * into numbered rows of cells) and `records` (an API's pages, canonical names, string values).
 * Both are NDJSON, gzipped; `source` and `ingest_date` are projected partitions, and a query
 * picks one part by its "$path" besides.
 */
export interface RawColumn {
  name: string;
  sqlType: string;
  description: string;
}

export interface RawTable {
  name: string;
  entity: string;
  form: 'cells' | 'records';
  description: string;
  prefix: string;
  columns: readonly RawColumn[];
}

const column = (name: string, sqlType: string, description: string): RawColumn => ({ name, sqlType, description });

const place = [column('_row', 'bigint', 'Row number in the part (1-based): the rejects name it.')] as const;

export const rawTableName = (entity: string, form: RawTable['form']) => `raw_${entity}_${form}`;

export function rawTables(entity: Entity): RawTable[] {
  const prefix = lakeKeys.rawEntityPrefix(entity.name);
  return [
    {
      name: rawTableName(entity.name, 'cells'),
      entity: entity.name,
      form: 'cells',
      description: `${entity.name} exports as landed, split into rows of cells (untyped): what curate validates`,
      prefix,
      columns: [
        ...place,
        column('_line', 'bigint', 'Line of the export the row starts on.'),
        column(
          '_reject',
          'varchar',
          'Structural reject found while splitting (an unclosed quote, a ragged row), else null.',
        ),
        column('_message', 'varchar', 'What was wrong with the line, for a structural reject.'),
        column('c', 'array(varchar)', "The row's cells in the export's column order."),
      ],
    },
    {
      name: rawTableName(entity.name, 'records'),
      entity: entity.name,
      form: 'records',
      description: `${entity.name} records as an API delivered them, canonical names, string values (untyped): what curate validates`,
      prefix,
      columns: [...place, ...entity.columns.map((c) => column(c.name, 'varchar', c.description))],
    },
  ];
}

/** Partition columns of every raw table, in key order. */
export const rawPartitionKeys = [
  // Not `source`: an entity has a source column of its own (tickets.source).
  { name: 'landed_source', description: 'Source name (config sources[].name): source=<name> in the key.' },
  { name: 'landed_date', description: 'UTC day the part was landed, YYYY-MM-DD: ingest_date=<day> in the key.' },
] as const;

/** Where a raw part's key says it belongs: its entity, source and ingest date. */
export function rawPartOf(key: string): { entity: string; source: string; ingestDate: string } | undefined {
  const match = /^raw\/([^/]+)\/source=([^/]+)\/ingest_date=([^/]+)\//.exec(key);
  return match ? { entity: match[1]!, source: match[2]!, ingestDate: match[3]! } : undefined;
}
