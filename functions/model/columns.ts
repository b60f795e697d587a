import { z } from 'zod';

/**
 * Column builders for the canonical model. Each builder returns a zod schema carrying
 * its column metadata, so an entity's zod object is the one source of its validation,
 * its SQL columns (DuckDB views, Glue tables) and its data-dictionary page.
 */
export type ColumnKind =
  'id' | 'text' | 'enum' | 'timestamp' | 'date' | 'month' | 'integer' | 'number' | 'money' | 'boolean';

export interface ColumnMeta {
  kind: ColumnKind;
  description: string;
  values?: readonly string[];
}

/** SQL type of a column kind; the same spelling is valid in DuckDB and Trino. */
export const sqlTypeOf: Record<ColumnKind, string> = {
  id: 'varchar',
  text: 'varchar',
  enum: 'varchar',
  timestamp: 'timestamp',
  date: 'date',
  month: 'varchar',
  integer: 'bigint',
  number: 'double',
  money: 'decimal(18,2)',
  boolean: 'boolean',
};

const columnMeta = new WeakMap<z.ZodType, ColumnMeta>();

function tag<T extends z.ZodType>(schema: T, meta: ColumnMeta): T {
  columnMeta.set(schema, meta);
  return schema;
}

const isoDate = /^\d{4}-\d{2}-\d{2}$/;

export const col = {
  id: (description: string) => tag(z.string().trim().min(1), { kind: 'id', description }),
  text: (description: string) => tag(z.string(), { kind: 'text', description }),
  enum: <const V extends readonly [string, ...string[]]>(values: V, description: string) =>
    tag(z.enum(values), { kind: 'enum', description, values }),
  timestamp: (description: string) =>
    tag(
      z.date().refine((d) => !Number.isNaN(d.getTime()), 'invalid timestamp'),
      {
        kind: 'timestamp',
        description,
      },
    ),
  date: (description: string) => tag(z.string().regex(isoDate, 'expected YYYY-MM-DD'), { kind: 'date', description }),
  month: (description: string) =>
    tag(z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected YYYY-MM'), { kind: 'month', description }),
  count: (description: string) => tag(z.number().int().min(0), { kind: 'integer', description }),
  score: (min: number, max: number, description: string) =>
    tag(z.number().int().min(min).max(max), { kind: 'integer', description }),
  seconds: (description: string) => tag(z.number().min(0), { kind: 'number', description }),
  hours: (description: string) => tag(z.number().min(0).max(24), { kind: 'number', description }),
  /**
   * Money fits decimal(18,2), the lake's type, so a larger amount is out of range rather than an
   * overflow in the engine; `min` bounds it below (an MRR is never negative, a credit is).
   */
  money: (description: string, range: { min?: number } = {}) =>
    tag(range.min === undefined ? z.number().gt(-1e16).lt(1e16) : z.number().min(range.min).lt(1e16), {
      kind: 'money',
      description,
    }),
  flag: (description: string) => tag(z.boolean(), { kind: 'boolean', description }),
};

export interface Column {
  name: string;
  kind: ColumnKind;
  sqlType: string;
  required: boolean;
  description: string;
  values?: readonly string[];
}

/** Walks optional/default/nullable wrappers down to the tagged column schema. */
function unwrap(schema: z.ZodType): { inner: z.ZodType; required: boolean } {
  let current: z.ZodType = schema;
  let required = true;
  for (;;) {
    const meta = columnMeta.get(current);
    if (meta) return { inner: current, required };
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable) {
      required = false;
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodDefault) {
      current = current.def.innerType as z.ZodType;
    } else {
      return { inner: current, required };
    }
  }
}

export function columnsOf(shape: z.ZodRawShape): Column[] {
  return Object.entries(shape).map(([name, field]) => {
    const { inner, required } = unwrap(field as z.ZodType);
    const meta = columnMeta.get(inner);
    if (!meta) throw new Error(`column ${name} was not built with col.*: it has no SQL type`);
    return {
      name,
      kind: meta.kind,
      sqlType: sqlTypeOf[meta.kind],
      required,
      description: meta.description,
      ...(meta.values ? { values: meta.values } : {}),
    };
  });
}
