import type { Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parse, type Options } from 'csv-parse/sync';
import type { CsvEncoding } from '../config/schema.ts';
import { SourceError } from '../errors.ts';
import { decodeLines } from './csvDecode.ts';
import { readRecords, type RecordReject, type RecordText } from './csvRecords.ts';

/** What the reader makes of a file: its header, then each record's cells or why it was rejected. */
export type CsvItem =
  | { kind: 'header'; line: number; cells: string[]; delimiter: string }
  | { kind: 'cells'; line: number; cells: string[] }
  | RecordReject;

/**
 * Records parsed together: one csv-parse call per record costs ~58 µs against ~5 µs in a batch
 * (measured on an 8-column ticket export), and a batch bounds what is held in memory.
 */
const batchSize = 1000;

function options(delimiter: string, outcomes: (string[] | Error)[]): Options {
  return {
    delimiter,
    // Every record handed over ends in '\n'; CR and LF elsewhere are inside quoted fields.
    record_delimiter: '\n',
    relax_quotes: true,
    relax_column_count: true,
    skip_records_with_error: true,
    on_record: (record: string[]) => {
      outcomes.push(record);
      return record;
    },
    on_skip: (error) => void outcomes.push(error ?? new Error('malformed record')),
  };
}

/** Parses records that each hold exactly one CSV record, one outcome per record, in order. */
function parseRecords(records: RecordText[], delimiter: string): (string[] | Error)[] {
  const outcomes: (string[] | Error)[] = [];
  parse(records.map((r) => r.text).join(''), options(delimiter, outcomes));
  if (outcomes.length === records.length) return outcomes;
  // The line reader and csv-parse disagree on where a record ends (they follow quotes by the same
  // rules, so this should not happen): each record alone, so no row is given another's line.
  return records.map((record) => {
    const one: (string[] | Error)[] = [];
    parse(record.text, options(delimiter, one));
    return one.length === 1 ? one[0]! : new Error(`read as ${one.length} records`);
  });
}

/**
 * Reads a CSV file as it comes (docs/design.md, "Real exports as they come"): bytes to lines
 * (csvDecode.ts), lines to records with resynchronisation (csvRecords.ts), records to cells
 * (csv-parse). Every byte read also feeds `hash` when one is given.
 * Yields the items in order, some at a time.
 */
export async function* readCsv(
  absolute: string,
  file: string,
  source: { encoding: CsvEncoding; delimiter?: string | undefined },
  hash?: Hash,
): AsyncGenerator<CsvItem[]> {
  async function* bytes(): AsyncGenerator<Buffer> {
    for await (const chunk of createReadStream(absolute)) {
      hash?.update(chunk as Buffer);
      yield chunk as Buffer;
    }
  }
  const lines = decodeLines(bytes(), { encoding: source.encoding, file });
  let delimiter = ',';
  let batch: RecordText[] = [];
  let out: CsvItem[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    for (const [i, outcome] of parseRecords(batch, delimiter).entries()) {
      const { line } = batch[i]!;
      out.push(
        outcome instanceof Error
          ? { kind: 'reject', line, reason: 'malformed_csv', message: `${file} line ${line}: ${outcome.message}` }
          : { kind: 'cells', line, cells: outcome },
      );
    }
    batch = [];
  };
  for await (const items of readRecords(lines, { file, delimiter: source.delimiter })) {
    for (const item of items) {
      if (item.kind === 'record') {
        batch.push(item);
        if (batch.length >= batchSize) flush();
        continue;
      }
      flush();
      if (item.kind === 'header') {
        delimiter = item.delimiter;
        const [cells] = parseRecords([{ kind: 'record', line: item.line, text: item.text }], delimiter);
        if (!cells || cells instanceof Error)
          throw new SourceError(
            `${file} line ${item.line}: the header cannot be read: ${cells?.message ?? 'no record'}`,
          );
        out.push({ kind: 'header', line: item.line, cells, delimiter });
      } else out.push(item);
    }
    if (out.length >= batchSize) {
      yield out;
      out = [];
    }
  }
  flush();
  if (out.length > 0) yield out;
}
