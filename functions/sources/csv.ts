import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { glob } from 'tinyglobby';
import type { z } from 'zod';
import type { CsvSourceConfig } from '../config/schema.ts';
import { SourceError } from '../errors.ts';
import type { Column, Entity } from '../model/index.ts';
import { configDefaults, failedChecks, placingFields, type RuleConfig } from '../model/rowRules.ts';
import type { FieldIssue, RowLocation, Source, SourceChunk, SourceRow } from '../ports/source.ts';
import { CellError, coerceCell, type CoerceOptions } from './coerce.ts';
import { readCsv } from './csvReader.ts';

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
  const { columns, values, timezone, delimiter, dateFormat, decimal, encoding } = config;
  const sorted = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
  const mapping = { columns: sorted(columns), values: sorted(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, sorted(v)]))), timezone: timezone ?? businessZone, delimiter, dateFormat, decimal, encoding };
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

/** The reason a value of each kind that is not of its type is given (DESIGN.md's reason codes). */
const unreadableReason: Record<Column['kind'], string> = {
  id: 'missing_required',
  text: 'unknown_value',
  enum: 'unknown_value',
  timestamp: 'bad_timestamp',
  date: 'bad_date',
  month: 'bad_date',
  integer: 'bad_number',
  number: 'bad_number',
  money: 'bad_number',
  boolean: 'bad_boolean',
};

/** Maps a zod issue to the reason code users see in rejects/ and dataQuality. */
export function reasonOf(issue: z.core.$ZodIssue, input: unknown, kind?: Column['kind']): string {
  if (input === undefined) return 'missing_required';
  switch (issue.code) {
    case 'invalid_value':
      return 'unknown_value';
    case 'too_small':
      // An id of blanks is trimmed to nothing: it is missing, not small.
      return kind === 'id' ? 'missing_required' : 'out_of_range';
    case 'too_big':
      return 'out_of_range';
    default:
      return kind ? unreadableReason[kind] : 'unknown_value';
  }
}

interface FieldBinding {
  column: Column;
  index: number;
  values: ValueMap | undefined;
}

/** A source's `values` for one field: matched exactly, then case-insensitively (built once per file, not per cell). */
interface ValueMap {
  exact: Map<string, string>;
  lower: Map<string, string>;
}

function valueMap(values: Record<string, string> | undefined): ValueMap | undefined {
  if (!values) return undefined;
  const entries = Object.entries(values);
  const lower = new Map<string, string>();
  // The first key of a case-insensitive tie wins, as the key order of the config gives it.
  for (const [k, v] of entries) if (!lower.has(k.toLowerCase())) lower.set(k.toLowerCase(), v);
  return { exact: new Map(entries), lower };
}

function bindHeader(header: string[], entity: Entity, source: CsvSourceConfig, file: string): FieldBinding[] {
  const trimmed = header.map((h) => h.trim());
  const bindings: FieldBinding[] = [];
  const problems: string[] = [];
  const placing = placingFields(entity);
  for (const column of entity.columns) {
    const mapped = source.columns[column.name];
    const wanted = mapped ?? column.name;
    const index = trimmed.indexOf(wanted);
    if (index < 0) {
      if (mapped) problems.push(`column "${mapped}" mapped to ${column.name} is not in the header`);
      else if (placing.has(column.name) && !(column.name === 'source')) {
        problems.push(`required field ${column.name} has no column (map it in sources[].columns)`);
      }
      continue;
    }
    bindings.push({ column, index, values: valueMap(source.values[column.name]) });
  }
  const unknownFields = Object.keys(source.columns).filter((f) => !entity.columns.some((c) => c.name === f));
  for (const field of unknownFields) problems.push(`columns.${field}: ${entity.name} has no field ${field}`);
  if (problems.length > 0) {
    throw new SourceError(`${file}: ${problems.join('; ')} (header: ${trimmed.slice(0, 30).join(', ')})`);
  }
  return bindings;
}

function mapValue(text: string, values: ValueMap | undefined): string {
  if (!values) return text;
  const trimmed = text.trim();
  return values.exact.get(trimmed) ?? values.lower.get(trimmed.toLowerCase()) ?? text;
}

/**
 * What converting a record needs besides the record: the defaults every row gets (a ticket's
 * source), how cells are read, the fields that place a row, and the config the cross-field checks
 * compare with (the cost ledger's currency).
 */
export interface RecordRules {
  defaults: Record<string, unknown>;
  coerce: CoerceOptions;
  placing: Set<string>;
  config: RuleConfig;
}

export function recordRules(entity: Entity, defaults: Record<string, unknown>, coerce: CoerceOptions, config: RuleConfig = {}): RecordRules {
  return { defaults: { ...configDefaults(entity.name, config), ...defaults }, coerce, placing: placingFields(entity), config };
}

/** Kinds whose bad value is null even where the schema defaults: a null count is left out of sums, never read as 0. */
const measureKinds = new Set<Column['kind']>(['integer', 'number', 'money']);

const shown = (input: unknown) => (input instanceof Date ? input.toISOString() : input === undefined ? 'empty' : JSON.stringify(input));

/**
 * Converts one CSV record to a canonical record, or a rejected row with its reason code
 * (DESIGN.md, "Bad input"): only a field that places the row, or a malformed row, rejects it; a
 * bad value elsewhere takes the field's default or null, and is reported as a field issue.
 */
export function convertRecord(
  cells: string[],
  header: string[],
  bindings: FieldBinding[],
  entity: Entity,
  rules: RecordRules,
  location: RowLocation,
): SourceRow {
  const where = `${location.file} line ${location.line} (row ${location.row})`;
  const reject = (reason: string, field: string | null, message: string): SourceRow => ({
    ok: false,
    reason,
    field,
    message: `${where}: ${message}`,
    location,
    raw: cells.length === header.length ? Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ''])) : cells,
  });
  if (cells.length !== header.length) {
    return reject('column_count', null, `${cells.length} columns, the header has ${header.length}`);
  }
  // Every record gets every column, in the same order, so all candidates share one hidden class
  // and the schema's parser stays monomorphic (a 3× difference on wide exports).
  const candidate: Record<string, unknown> = {};
  for (const column of entity.columns) candidate[column.name] = rules.defaults[column.name];
  const issues: FieldIssue[] = [];
  const nulled: string[] = [];
  const setAside = (column: Column, reason: string) => {
    issues.push({ field: column.name, reason });
    candidate[column.name] = rules.defaults[column.name];
    if (measureKinds.has(column.kind)) nulled.push(column.name);
  };
  for (const binding of bindings) {
    const text = mapValue(cells[binding.index] ?? '', binding.values);
    try {
      const value = coerceCell(binding.column, text, rules.coerce);
      if (value !== undefined) candidate[binding.column.name] = value;
    } catch (error) {
      if (!(error instanceof CellError)) throw error;
      if (rules.placing.has(binding.column.name)) return reject(error.reason, binding.column.name, `${binding.column.name}: ${error.message}`);
      setAside(binding.column, error.reason);
    }
  }
  // Fields the schema refuses: each one that does not place the row is set aside and the record
  // checked again (at most once per field); the first placing field refused rejects the row.
  for (let attempt = 0; attempt <= entity.columns.length; attempt += 1) {
    const parsed = entity.schema.safeParse(candidate);
    if (parsed.success) {
      const record = parsed.data as Record<string, unknown>;
      for (const failure of failedChecks(entity.name, record, rules.config)) {
        const { rule } = failure;
        if (rule.outcome === 'reject') return reject(rule.reason, rule.field, `${rule.field}: ${rule.why} (${shown(record[rule.field])})`);
        issues.push({ field: rule.field, reason: rule.reason });
        record[rule.field] = null;
      }
      for (const field of nulled) record[field] = null;
      return issues.length > 0 ? { ok: true, record, location, issues } : { ok: true, record, location };
    }
    let setAsideAny = false;
    for (const issue of parsed.error.issues) {
      const field = issue.path.length > 0 ? String(issue.path[0]) : null;
      const column = entity.columns.find((c) => c.name === field);
      const input = field ? candidate[field] : undefined;
      const reason = reasonOf(issue, input, column?.kind);
      if (!column || rules.placing.has(column.name) || input === undefined) {
        return reject(reason, field, `${field ?? '(row)'}: ${issue.message} (${shown(input)})`);
      }
      setAside(column, reason);
      setAsideAny = true;
    }
    if (!setAsideAny) break;
  }
  return reject('inconsistent', null, 'the record could not be made valid');
}

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** What check-config shows of a CSV source: its files, their headers, and its first rows. */
export interface CsvPreview {
  files: { file: string; size: number; header: string[] | null }[];
  /** The first rows, read exactly as a run reads them (the mapping, the coercion, the rejects). */
  rows: SourceRow[];
  /** Why the rows stopped early: a header the mapping does not fit, a workbook, an empty file. */
  error?: string;
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
    /** The config values the row rules compare with: the cost ledger's `currency`. */
    private readonly options: RuleConfig = {},
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

  /**
   * Opens the source without writing anywhere (pulse check-config): every file matched, with its
   * size and header, and the first `rows` rows through the same reader a run uses.
   */
  async preview(rows: number): Promise<CsvPreview> {
    const result: CsvPreview = { files: [], rows: [] };
    for (const file of await this.files()) {
      const absolute = path.resolve(this.baseDir, file);
      const workbook = await isWorkbook(absolute);
      result.files.push({ file, size: (await stat(absolute)).size, header: workbook ? null : await this.readHeader(absolute) });
      if (workbook) result.error ??= `${file} is an Excel workbook, not a CSV file: export it as CSV (in Excel: File → Save As → CSV UTF-8) and point the source at that`;
      if (result.error !== undefined || result.rows.length >= rows) continue;
      try {
        for await (const row of this.readFile(absolute, file, createHash('sha256'))) {
          result.rows.push(row);
          if (result.rows.length >= rows) break;
        }
      } catch (error) {
        if (!(error instanceof SourceError)) throw error;
        result.error = error.message;
      }
    }
    return result;
  }

  /** The first record of a file, as the header bindHeader gets; null for an empty file. */
  private async readHeader(absolute: string): Promise<string[] | null> {
    try {
      // The same reader a run uses (encoding, sniffed delimiter, sep=); it stops at the header.
      for await (const [item] of readCsv(absolute, path.basename(absolute), this.config, createHash('sha256'))) return item?.kind === 'header' ? item.cells : null;
      return null;
    } catch (error) {
      // A file that cannot be read says why when its rows are read (preview's error).
      if (error instanceof SourceError) return null;
      throw error;
    }
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
    const coerce: CoerceOptions = { zone: this.config.timezone ?? this.businessZone, dateFormat: this.config.dateFormat, decimal: this.config.decimal };
    const defaults: Record<string, unknown> = this.definition.columns.some((c) => c.name === 'source')
      ? { source: this.name }
      : {};
    const rules = recordRules(this.definition, defaults, coerce, this.options);
    let header: string[] | undefined;
    let bindings: FieldBinding[] = [];
    let row = 0;
    for await (const items of readCsv(absolute, file, this.config, hash)) {
      for (const item of items) {
        if (item.kind === 'header') {
          header = item.cells;
          bindings = bindHeader(header, this.definition, this.config, file);
          continue;
        }
        row += 1;
        if (item.kind === 'reject') {
          yield { ok: false, reason: item.reason, field: null, message: item.message, location: { file, row, line: item.line }, raw: null };
        } else yield convertRecord(item.cells, header!, bindings, this.definition, rules, { file, row, line: item.line });
      }
    }
    if (!header) throw new SourceError(`${file}: the file is empty (no header row)`);
  }
}
