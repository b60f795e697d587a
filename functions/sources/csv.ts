import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse';
import { glob } from 'tinyglobby';
import type { z } from 'zod';
import type { CsvSourceConfig } from '../config/schema.ts';
import { SourceError } from '../errors.ts';
import type { Column, Entity } from '../model/index.ts';
import type { RowLocation, Source, SourceChunk, SourceRow } from '../ports/source.ts';
import { CellError, coerceCell, type CoerceOptions } from './coerce.ts';

/** Files already ingested, by path relative to the config folder, with the fingerprint seen. */
export interface CsvWatermark {
  /** Each file read: its size and mtime, the SHA-256 of its content, and of the mapping it was read with. */
  files: Record<string, { size: number; mtimeMs: number; sha256?: string; mapping?: string }>;
}

/**
 * What a file is read with besides its bytes (DESIGN.md, "Re-reading"): a file read with another
 * mapping is read again, so "fix the mapping, run again" works.
 */
export function mappingFingerprint(config: CsvSourceConfig, businessZone: string): string {
  const { columns, values, timezone, delimiter } = config;
  const sorted = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
  const mapping = { columns: sorted(columns), values: sorted(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, sorted(v)]))), timezone: timezone ?? businessZone, delimiter };
  return createHash('sha256').update(JSON.stringify(mapping)).digest('hex').slice(0, 16);
}

/** The first bytes of an .xlsx (a zip) and of a legacy .xls (OLE2): a workbook given as a CSV source. */
const workbookMagic = [Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from([0xd0, 0xcf, 0x11, 0xe0])];

async function isWorkbook(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return bytesRead === 4 && workbookMagic.some((m) => m.equals(head));
  } finally {
    await handle.close();
  }
}

const chunkSize = 5000;

/** Maps a zod issue to the reason code users see in rejects/ and dataQuality. */
export function reasonOf(issue: z.core.$ZodIssue, input: unknown): string {
  switch (issue.code) {
    case 'invalid_value':
      return 'unknown_value';
    case 'invalid_type':
      return input === undefined ? 'missing_required' : 'bad_type';
    case 'too_small':
    case 'too_big':
      return 'out_of_range';
    case 'invalid_format':
      return 'bad_format';
    default:
      return 'invalid';
  }
}

interface FieldBinding {
  column: Column;
  index: number;
  values: Record<string, string> | undefined;
}

function bindHeader(header: string[], entity: Entity, source: CsvSourceConfig, file: string): FieldBinding[] {
  const trimmed = header.map((h) => h.trim());
  const bindings: FieldBinding[] = [];
  const problems: string[] = [];
  for (const column of entity.columns) {
    const mapped = source.columns[column.name];
    const wanted = mapped ?? column.name;
    const index = trimmed.indexOf(wanted);
    if (index < 0) {
      const field = entity.schema.shape[column.name] as z.ZodType | undefined;
      const hasDefault = field?.safeParse(undefined).success ?? false;
      if (mapped) problems.push(`column "${mapped}" mapped to ${column.name} is not in the header`);
      else if (column.required && !hasDefault && !(column.name === 'source')) {
        problems.push(`required field ${column.name} has no column (map it in sources[].columns)`);
      }
      continue;
    }
    bindings.push({ column, index, values: source.values[column.name] });
  }
  const unknownFields = Object.keys(source.columns).filter((f) => !entity.columns.some((c) => c.name === f));
  for (const field of unknownFields) problems.push(`columns.${field}: ${entity.name} has no field ${field}`);
  if (problems.length > 0) {
    throw new SourceError(`${file}: ${problems.join('; ')} (header: ${trimmed.slice(0, 30).join(', ')})`);
  }
  return bindings;
}

function mapValue(text: string, values: Record<string, string> | undefined): string {
  if (!values) return text;
  const trimmed = text.trim();
  if (trimmed in values) return values[trimmed] as string;
  const lower = trimmed.toLowerCase();
  const match = Object.keys(values).find((k) => k.toLowerCase() === lower);
  return match === undefined ? text : (values[match] as string);
}

/** Converts one CSV record to a canonical record, or a rejected row with its reason code. */
export function convertRecord(
  cells: string[],
  header: string[],
  bindings: FieldBinding[],
  entity: Entity,
  defaults: Record<string, unknown>,
  coerce: CoerceOptions,
  location: RowLocation,
): SourceRow {
  const raw = () => Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
  if (cells.length !== header.length) {
    return {
      ok: false,
      reason: 'column_count',
      field: null,
      message: `${location.file} line ${location.line} (row ${location.row}): ${cells.length} columns, the header has ${header.length}`,
      location,
      raw: cells,
    };
  }
  // Every record gets every column, in the same order, so all candidates share one hidden class
  // and the schema's parser stays monomorphic (a 3× difference on wide exports).
  const candidate: Record<string, unknown> = {};
  for (const column of entity.columns) candidate[column.name] = defaults[column.name];
  for (const binding of bindings) {
    const text = mapValue(cells[binding.index] ?? '', binding.values);
    try {
      const value = coerceCell(binding.column, text, coerce);
      if (value !== undefined) candidate[binding.column.name] = value;
    } catch (error) {
      if (!(error instanceof CellError)) throw error;
      return {
        ok: false,
        reason: error.reason,
        field: binding.column.name,
        message: `${location.file} line ${location.line} (row ${location.row}): ${binding.column.name}: ${error.message}`,
        location,
        raw: raw(),
      };
    }
  }
  const parsed = entity.schema.safeParse(candidate);
  if (parsed.success) return { ok: true, record: parsed.data as Record<string, unknown>, location };
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length > 0 ? String(issue.path[0]) : null;
  const input = field ? candidate[field] : undefined;
  const shown = input instanceof Date ? input.toISOString() : input === undefined ? 'empty' : JSON.stringify(input);
  return {
    ok: false,
    reason: reasonOf(issue, input),
    field,
    message: `${location.file} line ${location.line} (row ${location.row}): ${field ?? '(row)'}: ${issue.message} (${shown})`,
    location,
    raw: raw(),
  };
}

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Export files (CSV) mapped to one canonical entity by the source's columns/values config. */
export class CsvSource implements Source {
  readonly name: string;
  readonly entity: string;
  constructor(
    private readonly config: CsvSourceConfig,
    private readonly definition: Entity,
    private readonly baseDir: string,
    private readonly businessZone: string,
  ) {
    this.name = config.name;
    this.entity = definition.name;
  }

  /**
   * The files the source's path matches. A source that matches none is an error (DESIGN.md): a
   * report of zero tickets must never go out because a glob was mistyped.
   */
  async files(): Promise<string[]> {
    const pattern = this.config.path;
    const files = await glob(pattern, { cwd: this.baseDir, absolute: false, onlyFiles: true, expandDirectories: false });
    if (files.length === 0) {
      const info = await stat(path.resolve(this.baseDir, pattern)).catch(() => undefined);
      if (info?.isDirectory()) throw new SourceError(`sources "${this.name}": ${pattern} is a folder: give a file, or a pattern such as ${path.posix.join(pattern, '*.csv')}`);
      throw new SourceError(`sources "${this.name}": no file matches ${pattern} (resolved from ${this.baseDir}): check the path, or the export's name`);
    }
    return files.sort();
  }

  /** `reextract`: read every file again, whatever the watermark says (pulse run --reextract). */
  async *pull(watermark: unknown, options: { reextract?: boolean } = {}): AsyncIterable<SourceChunk> {
    const seen: CsvWatermark = { files: { ...((watermark as CsvWatermark | undefined)?.files ?? {}) } };
    const mapping = mappingFingerprint(this.config, this.businessZone);
    for (const file of await this.files()) {
      const absolute = path.resolve(this.baseDir, file);
      const info = await stat(absolute);
      if (await isWorkbook(absolute)) {
        throw new SourceError(`sources "${this.name}": ${file} is an Excel workbook, not a CSV file: export it as CSV (in Excel: File → Save As → CSV UTF-8) and point the source at that`);
      }
      const previous = options.reextract ? undefined : seen.files[file];
      const sameMapping = previous?.mapping === undefined || previous.mapping === mapping;
      if (previous && !sameMapping) {
        yield { rows: [], note: `${file}: read again, the source's mapping changed since it was last read` };
      } else if (previous && previous.size === info.size && previous.mtimeMs === info.mtimeMs) {
        yield { rows: [], note: `${file}: skipped, already read and unchanged (pulse run --reextract reads it again)` };
        continue;
      } else if (previous?.sha256 && previous.size === info.size && (await fileSha256(absolute)) === previous.sha256) {
        // A file written again with the same content (an export copied anew) is not read again.
        // Only a file of the same size can be the same, so only then is it hashed before reading.
        seen.files[file] = { ...previous, mtimeMs: info.mtimeMs };
        yield { rows: [], watermark: { files: { ...seen.files } }, note: `${file}: skipped, written again with the same content` };
        continue;
      } else if (previous) {
        yield { rows: [], note: `${file}: read again, its content changed since it was last read` };
      }
      const hash = createHash('sha256');
      let pending: SourceRow[] = [];
      for await (const row of this.readFile(absolute, file, hash)) {
        pending.push(row);
        if (pending.length >= chunkSize) {
          yield { rows: pending };
          pending = [];
        }
      }
      seen.files[file] = { size: info.size, mtimeMs: info.mtimeMs, sha256: hash.digest('hex'), mapping };
      yield { rows: pending, watermark: { files: { ...seen.files } }, unit: file };
    }
  }

  /** Parses one file; the bytes read also feed `hash`, so the fingerprint costs no second read. */
  private async *readFile(absolute: string, file: string, hash: Hash): AsyncIterable<SourceRow> {
    const coerce: CoerceOptions = { zone: this.config.timezone ?? this.businessZone };
    const defaults: Record<string, unknown> = this.definition.columns.some((c) => c.name === 'source')
      ? { source: this.name }
      : {};
    const skipped: SourceRow[] = [];
    // Where each record starts, in parse order. csv-parse's info.lines is where a record ends, and
    // it counts a CRLF inside a quoted field as two lines; both are corrected here.
    const starts: number[] = [];
    let lastEnd = 0;
    let drift = 0;
    const input = createReadStream(absolute);
    input.on('data', (chunk) => hash.update(chunk as Buffer));
    const parser = input.pipe(
      parse({
        bom: true,
        delimiter: this.config.delimiter,
        relax_column_count: true,
        relax_quotes: true,
        skip_empty_lines: true,
        info: true,
        skip_records_with_error: true,
        // With info on, on_record gets { record, info }.
        on_record: (item: string[], context: { lines: number }) => {
          let breaks = 0;
          for (const cell of (item as unknown as { record: string[] }).record) {
            for (let i = cell.indexOf('\n'); i !== -1; i = cell.indexOf('\n', i + 1)) {
              breaks += 1;
              if (cell[i - 1] === '\r') drift += 1;
            }
          }
          lastEnd = context.lines - drift;
          starts.push(lastEnd - breaks);
          return item;
        },
        on_skip: (error) => {
          const err = error as (Error & { lines?: number; records?: number }) | undefined;
          const line = lastEnd + 1;
          skipped.push({
            ok: false,
            reason: 'malformed_csv',
            field: null,
            message: `${file} line ${line}: ${err?.message ?? 'malformed record'}`,
            location: { file, row: (err?.records ?? 0), line },
            raw: null,
          });
        },
      }),
    );
    let header: string[] | undefined;
    let bindings: FieldBinding[] = [];
    let row = 0;
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = starts.shift() ?? item.info.lines;
      while (skipped.length > 0) yield skipped.shift()!;
      if (!header) {
        header = item.record;
        bindings = bindHeader(header, this.definition, this.config, file);
        continue;
      }
      row += 1;
      yield convertRecord(item.record, header, bindings, this.definition, defaults, coerce, { file, row, line });
    }
    while (skipped.length > 0) yield skipped.shift()!;
    if (!header) throw new SourceError(`${file}: the file is empty (no header row)`);
  }
}
