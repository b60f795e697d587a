import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout } from 'node:timers/promises';
import { glob } from 'tinyglobby';
import type { CsvSourceConfig } from '../config/schema.ts';
import { SourceError } from '../errors.ts';
import type { Entity } from '../model/index.ts';
import { placingFields } from '../model/rowRules.ts';
import type { CellRow, CsvLayout, PullOptions, ReadingRules, Source, SourceChunk } from '../ports/source.ts';
import { readCsv } from './csvReader.ts';
import { scanCsv } from './csvScan.ts';

/** Files already ingested, by path relative to the config folder, with the fingerprint seen. */
export interface CsvWatermark {
  /** Each file read: its size and mtime, the SHA-256 of its content, and of the mapping it was read with. */
  files: Record<string, { size: number; mtimeMs: number; sha256?: string; mapping?: string }>;
}

/**
 * What a file is read with besides its bytes (docs/design.md, "Re-reading"): a file read with another
 * mapping is read again, so "fix the mapping, run again" works.
 */
export function mappingFingerprint(config: CsvSourceConfig, businessZone: string): string {
  const { columns, values, timezone, delimiter, dateFormat, decimal, encoding } = config;
  const sorted = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
  const mapping = {
    columns: sorted(columns),
    values: sorted(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, sorted(v)]))),
    timezone: timezone ?? businessZone,
    delimiter,
    dateFormat,
    decimal,
    encoding,
  };
  return createHash('sha256').update(JSON.stringify(mapping)).digest('hex').slice(0, 16);
}

/** The first bytes of an .xlsx (a zip) and of a legacy .xls (OLE2): a workbook given as a CSV source. */
const workbookMagic = [Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from([0xd0, 0xcf, 0x11, 0xe0])];

/** Whether a file begins with these bytes (a workbook's magic, a BOM). */
async function startsWith(file: string, bytes: Buffer): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(bytes.length);
    const { bytesRead } = await handle.read(head, 0, bytes.length, 0);
    return bytesRead === bytes.length && head.equals(bytes);
  } finally {
    await handle.close();
  }
}

async function isWorkbook(file: string): Promise<boolean> {
  for (const magic of workbookMagic) if (await startsWith(file, magic)) return true;
  return false;
}

/**
 * The source's `columns` mapping bound to a file's header: canonical field → column index. A
 * mapped column missing from the header, or a required field without a column, is an error
 * naming the file and the fix.
 */
export function bindHeader(
  header: string[],
  entity: Entity,
  source: Pick<CsvSourceConfig, 'columns'>,
  file: string,
): Record<string, number> {
  const trimmed = header.map((h) => h.trim());
  const bindings: Record<string, number> = {};
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
    bindings[column.name] = index;
  }
  const unknownFields = Object.keys(source.columns).filter((f) => !entity.columns.some((c) => c.name === f));
  for (const field of unknownFields) problems.push(`columns.${field}: ${entity.name} has no field ${field}`);
  if (problems.length > 0) {
    throw new SourceError(`${file}: ${problems.join('; ')} (header: ${trimmed.slice(0, 30).join(', ')})`);
  }
  return bindings;
}

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** What check-config shows of a CSV source: its files, their headers, and its first rows as split. */
export interface CsvPreview {
  files: { file: string; size: number; header: string[] | null }[];
  /** The first rows of the first readable file, split by the reader, with the layout they are bound by. */
  sample?: { file: string; layout: CsvLayout; rows: CellRow[] };
  /** Why the rows stopped early: a header the mapping does not fit, a workbook, an empty file. */
  error?: string;
}

const workbookError = (file: string) =>
  `${file} is an Excel workbook, not a CSV file: export it as CSV (in Excel: File → Save As → CSV UTF-8) and point the source at that`;

/** Rows per `cells` chunk of a file split by Pulse's reader. */
const chunkRows = 5000;

/**
 * Export files (CSV) of one canonical entity. Extract lands each new or changed file: as it is
 * when the engine can read it so (csvScan.ts), else split by Pulse's reader into cells; the
 * source's mapping, the casts and the bad-input rules are applied by curate, in the engine.
 */
export class CsvSource implements Source {
  readonly name: string;
  readonly entity: string;
  readonly reading: ReadingRules;
  readonly mode: 'incremental' | 'full';
  constructor(
    private readonly config: CsvSourceConfig,
    private readonly definition: Entity,
    private readonly baseDir: string,
    private readonly businessZone: string,
  ) {
    this.name = config.name;
    this.entity = definition.name;
    this.mode = config.mode;
    this.reading = {
      values: config.values,
      timezone: config.timezone,
      dateFormat: config.dateFormat,
      decimal: config.decimal,
    };
  }

  /**
   * The files the source's path matches. A source that matches none is an error (docs/design.md): a
   * report of zero tickets must never go out because a glob was mistyped.
   */
  async files(): Promise<string[]> {
    const pattern = this.config.path;
    const files = await glob(pattern, {
      cwd: this.baseDir,
      absolute: false,
      onlyFiles: true,
      expandDirectories: false,
    });
    if (files.length === 0) {
      const info = await stat(path.resolve(this.baseDir, pattern)).catch(() => undefined);
      if (info?.isDirectory())
        throw new SourceError(
          `sources "${this.name}": ${pattern} is a folder: give a file, or a pattern such as ${path.posix.join(pattern, '*.csv')}`,
        );
      throw new SourceError(
        `sources "${this.name}": no file matches ${pattern} (resolved from ${this.baseDir}): check the path, or the export's name`,
      );
    }
    return files.sort();
  }

  /**
   * Opens the source without writing anywhere (pulse check-config): every file matched, with its
   * size and header, and the first `rows` rows of the first file through the reader a run uses.
   */
  async preview(rows: number): Promise<CsvPreview> {
    const result: CsvPreview = { files: [] };
    for (const file of await this.files()) {
      const absolute = path.resolve(this.baseDir, file);
      const workbook = await isWorkbook(absolute);
      let header: string[] | null = null;
      if (workbook) result.error ??= workbookError(file);
      else {
        try {
          header = (await this.headerOf(absolute, file)).cells;
          if (!result.sample) result.sample = { file, ...(await this.split(absolute, file, rows)) };
        } catch (error) {
          if (!(error instanceof SourceError)) throw error;
          result.error ??= error.message;
        }
      }
      result.files.push({ file, size: (await stat(absolute)).size, header });
    }
    return result;
  }

  /** The first `limit` rows of a file as the reader splits them, and its layout. */
  private async split(absolute: string, file: string, limit: number): Promise<{ layout: CsvLayout; rows: CellRow[] }> {
    const rows: CellRow[] = [];
    let layout: CsvLayout | undefined;
    for await (const chunk of this.cells(absolute, file, undefined, '\n')) {
      layout = chunk.layout;
      rows.push(...chunk.rows.slice(0, limit - rows.length));
      if (rows.length >= limit) break;
    }
    return { layout: layout!, rows };
  }

  /** The header as the reader reads it (encoding, sniffed delimiter, sep=). */
  private async headerOf(
    absolute: string,
    file: string,
  ): Promise<{ cells: string[]; delimiter: string; line: number }> {
    for await (const [item] of readCsv(absolute, file, this.config)) {
      if (item?.kind === 'header') return item;
      break;
    }
    throw new SourceError(`${file}: the file is empty (no header row)`);
  }

  /** The header bound to the mapping. */
  private async layoutOf(absolute: string, file: string): Promise<CsvLayout> {
    const header = await this.headerOf(absolute, file);
    return {
      header: header.cells,
      delimiter: header.delimiter,
      skipLines: header.line,
      newline: '\n',
      columns: bindHeader(header.cells, this.definition, this.config, file),
    };
  }

  /** A file split by Pulse's reader, in chunks of rows; a file without a header is an error. */
  private async *cells(
    absolute: string,
    file: string,
    hash: Hash | undefined,
    newline: CsvLayout['newline'],
  ): AsyncGenerator<{ layout: CsvLayout; rows: CellRow[] }> {
    let layout: CsvLayout | undefined;
    let row = 0;
    let rows: CellRow[] = [];
    for await (const items of readCsv(absolute, file, this.config, hash)) {
      for (const item of items) {
        if (item.kind === 'header') {
          layout = {
            header: item.cells,
            delimiter: item.delimiter,
            skipLines: item.line,
            newline,
            columns: bindHeader(item.cells, this.definition, this.config, file),
          };
          continue;
        }
        row += 1;
        if (item.kind === 'reject') rows.push({ row, line: item.line, reject: item.reason, message: item.message });
        else if (item.cells.length !== layout!.header.length) {
          rows.push({
            row,
            line: item.line,
            reject: 'column_count',
            message: `${file} line ${item.line} (row ${row}): ${item.cells.length} columns, the header has ${layout!.header.length}`,
            cells: item.cells,
          });
        } else rows.push({ row, line: item.line, cells: item.cells });
      }
      if (layout && rows.length >= chunkRows) {
        yield { layout, rows };
        rows = [];
      }
    }
    if (!layout) throw new SourceError(`${file}: the file is empty (no header row)`);
    yield { layout, rows };
  }

  /**
   * The file copied to `target` and fingerprinted in the same pass (docs/design.md, "Extract lands
   * what it scanned"): what is scanned and landed is this copy, never the export, which its writer
   * may still be appending to. A file whose size or mtime moved while it was copied changed under
   * the read: undefined.
   */
  private async snapshot(absolute: string, target: string): Promise<Snapshot | undefined> {
    const before = await stat(absolute);
    const { sha256, bytes } = await this.copy(absolute, target);
    const after = await stat(absolute);
    const still = after.size === before.size && after.mtimeMs === before.mtimeMs && bytes === before.size;
    return still ? { path: target, size: before.size, mtimeMs: before.mtimeMs, sha256 } : undefined;
  }

  /** Copies a file byte for byte, hashing what it copies (a seam: a test appends to the export here). */
  protected async copy(from: string, to: string): Promise<{ sha256: string; bytes: number }> {
    const hash = createHash('sha256');
    let bytes = 0;
    await pipeline(
      createReadStream(from, { highWaterMark: 1024 * 1024 }),
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          hash.update(chunk);
          bytes += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(to),
    );
    return { sha256: hash.digest('hex'), bytes };
  }

  /** A stable copy of the file, tried again a few times while it changes under the read. */
  private async stableCopy(absolute: string, target: string): Promise<Snapshot | undefined> {
    for (let attempt = 1; attempt <= copyAttempts; attempt += 1) {
      const copy = await this.snapshot(absolute, target);
      if (copy) return copy;
      if (attempt < copyAttempts) await setTimeout(copyRetryMs * attempt);
    }
    return undefined;
  }

  /**
   * Another file already read with the same content and mapping, by its name (`among`: only
   * these files, else every file the watermark names).
   */
  private twinOf(
    file: string,
    sha256: string,
    mapping: string,
    seen: CsvWatermark,
    among: ReadonlySet<string> | undefined,
  ): string | undefined {
    return Object.entries(seen.files).find(
      ([other, known]) =>
        other !== file &&
        known.sha256 === sha256 &&
        (known.mapping === undefined || known.mapping === mapping) &&
        (among === undefined || among.has(other)),
    )?.[0];
  }

  /** Whether a file is as the watermark saw it (`previous`): same mapping, and same size and mtime or content. */
  private async unchanged(
    absolute: string,
    previous: CsvWatermark['files'][string] | undefined,
    mapping: string,
  ): Promise<boolean> {
    if (!previous || (previous.mapping !== undefined && previous.mapping !== mapping)) return false;
    const info = await stat(absolute);
    if (previous.size !== info.size) return false;
    return previous.mtimeMs === info.mtimeMs || (await fileSha256(absolute)) === previous.sha256;
  }

  /**
   * `reextract`: read every file again, whatever the watermark says (pulse run --reextract).
   * `landAsIs: false`: the engine cannot read an export in place (Athena's CSV SerDe numbers no
   * rows), so every file is split into cells, as an unfit one is.
   *
   * A source in `full` mode (docs/design.md, "Full exports"): the files its path matches are one
   * export, the whole truth. When any of them is new, changed or gone, all are read again, in one
   * landing, or none: curate then removes the source's records none of them holds.
   */
  async *pull(watermark: unknown, options: PullOptions = {}): AsyncIterable<SourceChunk> {
    const saved = (watermark as CsvWatermark | undefined)?.files ?? {};
    const mapping = mappingFingerprint(this.config, this.businessZone);
    const files = await this.files();
    for (const file of files) {
      if (await isWorkbook(path.resolve(this.baseDir, file)))
        throw new SourceError(`sources "${this.name}": ${workbookError(file)}`);
    }
    let whole = false;
    if (this.config.mode === 'full' && !options.reextract) {
      const gone = Object.keys(saved).some((file) => !files.includes(file));
      for (const file of files)
        whole ||= gone || !(await this.unchanged(path.resolve(this.baseDir, file), saved[file], mapping));
    }
    // A full export read again starts a watermark of its own: a file gone from it leaves it.
    const seen: CsvWatermark = { files: whole ? {} : { ...saved } };
    const scratch = await mkdtemp(path.join(tmpdir(), 'pulse-extract-'));
    try {
      if (whole) {
        yield* this.pullWhole(files, mapping, seen, scratch, options);
        return;
      }
      yield* this.pullEach(files, mapping, seen, scratch, options);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Each new or changed file read and landed on its own (an incremental source, or --reextract). */
  private async *pullEach(
    files: string[],
    mapping: string,
    seen: CsvWatermark,
    scratch: string,
    options: PullOptions,
  ): AsyncGenerator<SourceChunk> {
    // The files this pull lands: with --reextract, the only ones a file's content is known from.
    const landed = new Set<string>();
    for (const file of files) {
      const absolute = path.resolve(this.baseDir, file);
      const info = await stat(absolute);
      const previous = options.reextract ? undefined : seen.files[file];
      const sameMapping = previous?.mapping === undefined || previous.mapping === mapping;
      let note: string | undefined;
      if (previous && !sameMapping) {
        note = `${file}: read again, the source's mapping changed since it was last read`;
      } else if (previous && previous.size === info.size && previous.mtimeMs === info.mtimeMs) {
        yield { note: `${file}: skipped, already read and unchanged (pulse run --reextract reads it again)` };
        continue;
      } else if (previous?.sha256 && previous.size === info.size && (await fileSha256(absolute)) === previous.sha256) {
        // A file written again with the same content (an export copied anew) is not read again.
        // Only a file of the same size can be the same, so only then is it hashed before reading.
        seen.files[file] = { ...previous, mtimeMs: info.mtimeMs };
        yield {
          watermark: { files: { ...seen.files } },
          note: `${file}: skipped, written again with the same content`,
        };
        continue;
      } else if (previous) {
        note = `${file}: read again, its content changed since it was last read`;
      }
      const copy = await this.stableCopy(absolute, path.join(scratch, 'export'));
      if (!copy) {
        // Not landed and not in the watermark: the next run reads it, once its writer is done.
        yield { note: unstableNote(file) };
        continue;
      }
      const twin = this.twinOf(file, copy.sha256, mapping, seen, options.reextract ? landed : undefined);
      if (twin) {
        // A file is known by its content: one renamed (or copied under another name) is not read
        // again, so its rows are not counted twice (docs/design.md, "Re-reading").
        seen.files[file] = { size: copy.size, mtimeMs: copy.mtimeMs, sha256: copy.sha256, mapping };
        yield {
          watermark: { files: { ...seen.files } },
          note: `${file}: skipped, the same content as ${twin}, already read`,
        };
        continue;
      }
      landed.add(file);
      yield* this.land(file, copy, mapping, seen, note, options);
    }
  }

  /**
   * A full export read again: every file copied first, then all landed, or none when one keeps
   * changing (a part of the truth landed alone would remove the records of the rest).
   */
  private async *pullWhole(
    files: string[],
    mapping: string,
    seen: CsvWatermark,
    scratch: string,
    options: PullOptions,
  ): AsyncGenerator<SourceChunk> {
    const copies: { file: string; copy: Snapshot }[] = [];
    for (const [i, file] of files.entries()) {
      const copy = await this.stableCopy(path.resolve(this.baseDir, file), path.join(scratch, `export-${i}`));
      if (!copy) {
        yield { note: `${unstableNote(file)}, and the rest of its full export with it` };
        return;
      }
      // Each header bound before any file lands: one that does not fit fails the read whole.
      await this.layoutOf(copy.path, file);
      copies.push({ file, copy });
    }
    const landed = new Set<string>();
    for (const { file, copy } of copies) {
      const twin = this.twinOf(file, copy.sha256, mapping, seen, landed);
      if (twin) {
        seen.files[file] = { size: copy.size, mtimeMs: copy.mtimeMs, sha256: copy.sha256, mapping };
        yield { watermark: { files: { ...seen.files } }, note: `${file}: skipped, the same content as ${twin}` };
        continue;
      }
      landed.add(file);
      const note = `${file}: read with the rest of its full export, which changed`;
      yield* this.land(file, copy, mapping, seen, note, options);
    }
  }

  /**
   * One file's stable copy landed: as it is when the engine reads it so, else split by Pulse's
   * reader. Both read the copy, so what lands is what was scanned and fingerprinted.
   */
  private async *land(
    file: string,
    copy: Snapshot,
    mapping: string,
    seen: CsvWatermark,
    note: string | undefined,
    options: PullOptions,
  ): AsyncGenerator<SourceChunk> {
    const layout = await this.layoutOf(copy.path, file);
    const utf8 = this.config.encoding === 'utf-8' || (await startsWith(copy.path, utf8Bom));
    const asIs = options.landAsIs ?? true;
    const scan = asIs
      ? await scanCsv(copy.path, {
          delimiter: layout.delimiter,
          skipLines: layout.skipLines,
          fields: layout.header.length,
        })
      : undefined;
    const unfit = !scan ? undefined : utf8 ? scan.unfit : `it is ${this.config.encoding}`;
    const done = () => {
      seen.files[file] = { size: copy.size, mtimeMs: copy.mtimeMs, sha256: copy.sha256, mapping };
      return { files: { ...seen.files } };
    };
    if (scan && unfit === undefined) {
      // Landed as it is: the engine's CSV reader reads it, row n on line n + skipLines.
      yield {
        unit: file,
        name: file,
        file: {
          path: copy.path,
          layout: { ...layout, newline: scan.newline, padded: scan.padded, controls: scan.controls },
        },
        watermark: done(),
        ...(note ? { note } : {}),
      };
      return;
    }
    if (note) yield { note };
    if (unfit) yield { note: `${file}: split by Pulse's reader before landing (${unfit})` };
    let last: { layout: CsvLayout; rows: CellRow[] } | undefined;
    for await (const chunk of this.cells(copy.path, file, undefined, '\n')) {
      if (last) yield { unit: file, name: file, cells: last };
      last = chunk;
    }
    yield { unit: file, name: file, cells: last!, watermark: done() };
  }
}

/** A file's stable copy: where it is, and the size, mtime and SHA-256 of the export it copies. */
interface Snapshot {
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

const unstableNote = (file: string) =>
  `${file}: not read, it changed while it was read (${copyAttempts} tries); the next run reads it`;

/** Copies of a file that keeps changing before it is left to the next run, and the wait between them. */
const copyAttempts = 3;
const copyRetryMs = 200;

const utf8Bom = Buffer.from([0xef, 0xbb, 0xbf]);
