import type { z } from 'zod';
import { columnsOf, type Column } from './columns.ts';

export interface EntityDefinition<S extends z.ZodRawShape> {
  /** Table name in the lake, the catalog and the SQL. */
  name: string;
  description: string;
  /** Columns that identify one record; later versions of the same key replace earlier ones. */
  key: readonly (keyof S & string)[];
  /** Column ordering versions of a record (latest wins); absent: the last ingested row wins. */
  version?: keyof S & string;
  /** Column whose business-time-zone month partitions curated/; absent: one unpartitioned table. */
  monthOf?: keyof S & string;
  /** Whether the monthOf column is already a `YYYY-MM` month (costs.period). */
  monthIsLiteral?: boolean;
  schema: z.ZodObject<S>;
}

/** A canonical entity: its definition with the columns derived from its zod schema. */
export interface Entity {
  name: string;
  description: string;
  key: readonly string[];
  version?: string;
  monthOf?: string;
  monthIsLiteral?: boolean;
  schema: z.ZodObject<z.ZodRawShape>;
  columns: Column[];
}

export function defineEntity<S extends z.ZodRawShape>(definition: EntityDefinition<S>): Entity {
  return {
    ...definition,
    schema: definition.schema as unknown as z.ZodObject<z.ZodRawShape>,
    columns: columnsOf(definition.schema.shape),
  } as Entity;
}
