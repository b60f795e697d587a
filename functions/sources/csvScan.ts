import type { Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';

/**
 * Whether the engine can read an export exactly as it is (DESIGN.md, "Pipeline": extract lands,
 * the engine validates). One pass over the bytes, no string made: UTF-8 throughout, one line end
 * (LF or CRLF) on every line, quotes only around whole fields, every record on one line with the
 * header's number of fields, no NUL, no blank line. Such a file is copied into raw/ as it is and
 * read by DuckDB's (or Athena's) CSV reader, where row n is line n + the lines before it. Any
 * other file is split by Pulse's own reader, which resynchronises after a bad line.
 *
 * Every byte also feeds `hash`, so the file's fingerprint costs no second read.
 */
export interface ScanResult {
  /** Why the file cannot land as it is; undefined when it can. */
  unfit?: string;
  newline: '\n' | '\r\n';
  /** Data records after the header (when fit). */
  records: number;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;

const fieldStart = 0;
const unquoted = 1;
const quoted = 2;
const quoteInQuoted = 3;

/** A record longer than this is left to Pulse's reader (DuckDB's own line limit is 2 MB). */
const maxRecordBytes = 1024 * 1024;

/** How many bytes at the end of a chunk start a UTF-8 character that continues in the next chunk. */
function incompleteTail(chunk: Buffer): number {
  for (let back = 1; back <= Math.min(3, chunk.length); back += 1) {
    const byte = chunk[chunk.length - back]!;
    if ((byte & 0xc0) === 0x80) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

export async function scanCsv(file: string, options: { delimiter: string; skipLines: number; fields: number }, hash: Hash): Promise<ScanResult> {
  const delimiter = options.delimiter.charCodeAt(0);
  let state = fieldStart;
  let fields = 1;
  let recordBytes = 0;
  let line = 1;
  let newline: '\n' | '\r\n' | undefined;
  let unfit: string | undefined;
  let records = 0;
  let pendingCr = false;
  let carry: Buffer = Buffer.alloc(0);
  const endRecord = () => {
    if (line > options.skipLines) {
      if (recordBytes === 0) unfit ??= `line ${line} is blank`;
      else if (fields !== options.fields) unfit ??= `line ${line} has ${fields} fields, the header ${options.fields}`;
      records += 1;
    }
    line += 1;
    fields = 1;
    recordBytes = 0;
    state = fieldStart;
  };
  const setNewline = (found: '\n' | '\r\n') => {
    if (newline === undefined) newline = found;
    else if (newline !== found) unfit ??= `line ${line} ends in ${found === '\n' ? 'LF' : 'CRLF'}, earlier lines in ${newline === '\n' ? 'LF' : 'CRLF'}`;
  };
  for await (const raw of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    const chunk = raw as Buffer;
    hash.update(chunk);
    if (unfit) continue;
    const tail = incompleteTail(chunk);
    const checked = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, chunk.length - tail)]) : chunk.subarray(0, chunk.length - tail);
    carry = Buffer.from(chunk.subarray(chunk.length - tail));
    if (!isUtf8(checked)) unfit = 'it is not valid UTF-8';
    for (let i = 0; i < chunk.length && !unfit; i += 1) {
      const c = chunk[i]!;
      if (pendingCr) {
        pendingCr = false;
        if (c !== LF) {
          unfit = `line ${line} ends in a lone CR`;
          break;
        }
        setNewline('\r\n');
        endRecord();
        continue;
      }
      if (c === NUL) {
        unfit = `line ${line} holds a NUL byte`;
        break;
      }
      recordBytes += 1;
      if (recordBytes > maxRecordBytes) {
        unfit = `line ${line} is longer than 1 MiB`;
        break;
      }
      if (state === quoted) {
        if (c === QUOTE) state = quoteInQuoted;
        else if (c === LF || c === CR) unfit = `line ${line} has a line break inside a quoted field`;
        continue;
      }
      if (state === quoteInQuoted) {
        if (c === QUOTE) {
          state = quoted;
          continue;
        }
        if (c !== delimiter && c !== LF && c !== CR) {
          unfit = `line ${line} has text after a closing quote`;
          break;
        }
        // The field is closed: what ends it is read as after any field.
        state = unquoted;
      }
      if (c === delimiter) {
        fields += 1;
        state = fieldStart;
      } else if (c === LF) {
        recordBytes -= 1;
        setNewline('\n');
        endRecord();
      } else if (c === CR) {
        recordBytes -= 1;
        pendingCr = true;
      } else if (c === QUOTE) {
        if (state === unquoted) unfit = `line ${line} has a quote inside an unquoted field`;
        else state = quoted;
      } else state = unquoted;
    }
  }
  if (!unfit) {
    if (carry.length > 0) unfit = 'it ends inside a UTF-8 character';
    else if (pendingCr) {
      setNewline('\r\n');
      endRecord();
    } else if (state === quoted) unfit = `line ${line} opens a quote that never closes`;
    else if (recordBytes > 0 || fields > 1) endRecord();
  }
  return { ...(unfit ? { unfit } : {}), newline: newline ?? '\n', records };
}
