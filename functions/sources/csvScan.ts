import type { Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';

/**
 * Whether the engine can read an export exactly as it is (docs/design.md, "Pipeline": extract lands,
 * the engine validates). One pass over the bytes, no string made: UTF-8 throughout, one line end
 * (LF or CRLF) on every line, quotes only around whole fields, every record on one line with the
 * header's number of fields, no NUL, no blank line. Such a file is copied into raw/ as it is and
 * read by DuckDB's (or Athena's) CSV reader, where row n is line n + the lines before it. Any
 * other file is split by Pulse's own reader, which resynchronises after a bad line.
 *
 * Every byte also feeds `hash` when one is given (a fingerprint that costs no second read).
 */
export interface ScanResult {
  /** Why the file cannot land as it is; undefined when it can. */
  unfit?: string;
  newline: '\n' | '\r\n';
  /** Data records after the header (when fit). */
  records: number;
  /** Whether a data field starts or ends with whitespace (curate trims only then). */
  padded: boolean;
  /** Whether a data field holds a control character (curate looks for them only then). */
  controls: boolean;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;

// States; `state | unquoted` moves a field that has started text on, and keeps a quoted one.
const fieldStart = 0;
const unquoted = 1;
const quoted = 3;
const quoteInQuoted = 4;
/** A CR was read: the next byte must be the LF of a CRLF. */
const afterCr = 5;

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

/** Where the scan is between two chunks, and what it has found. */
interface ScanState {
  state: number;
  fields: number;
  recordBytes: number;
  line: number;
  dataLine: boolean;
  newline: '\n' | '\r\n' | undefined;
  unfit: string | undefined;
  records: number;
  padded: boolean;
  controls: boolean;
  /** The field's next content byte is its first; its last content byte so far (-1: none). */
  first: boolean;
  last: number;
  special: Uint8Array;
}

/** Bytes the scan looks at one by one: every other byte is text and takes the fast path. */
const special = new Uint8Array(256);
for (let c = 0; c <= QUOTE; c += 1) special[c] = 1;
for (const c of [0x7f, 0xa0, 0xbf, 0xc2, 0xef]) special[c] = 1;

const padStart = (c: number) => c === 0x20 || c === 0x09 || c === 0xc2 || c === 0xef;
const padEnd = (c: number) => c === 0x20 || c === 0x09 || c === 0xa0 || c === 0xbf;
const isControl = (c: number) => (c < 0x20 && c !== 0x09 && c !== LF && c !== CR) || c === 0x7f;

/**
 * One chunk through the scan. Written as one function with its state in locals (no closure
 * over them), which V8 keeps in registers: the scan is bound by this loop.
 */
function scanChunk(chunk: Buffer, st: ScanState, delimiter: number, skipLines: number, fieldsWanted: number): void {
  // The delimiter is special too (a ; or a | is text in a comma export); the table is per file.
  const special = st.special;
  let { state, fields, recordBytes, line, dataLine, padded, controls, first, last } = st;
  let unfit: string | undefined;
  const setNewline = (found: '\n' | '\r\n') => {
    if (st.newline === undefined) st.newline = found;
    else if (st.newline !== found)
      unfit ??= `line ${line} ends in ${found === '\n' ? 'LF' : 'CRLF'}, earlier lines in ${st.newline === '\n' ? 'LF' : 'CRLF'}`;
  };
  for (let i = 0; i < chunk.length; i += 1) {
    const c = chunk[i]!;
    // The common byte (text, in a quoted field or not) takes this path alone: one table look-up.
    if (special[c] === 0 && state <= quoted) {
      first = false;
      last = c;
      state |= unquoted;
      recordBytes += 1;
      continue;
    }
    // Every path but the record's end goes on to the next byte (or stops the scan).
    if (state === afterCr) {
      if (c !== LF) {
        unfit = `line ${line} ends in a lone CR`;
        break;
      }
      setNewline('\r\n');
    } else if (c === NUL) {
      unfit = `line ${line} holds a NUL byte`;
      break;
    } else if (state === quoted && c !== QUOTE) {
      if (c === LF || c === CR) {
        unfit = `line ${line} has a line break inside a quoted field`;
        break;
      }
      // Content: a delimiter, a space or a control character inside quotes.
      if (first && dataLine && padStart(c)) padded = true;
      first = false;
      last = c;
      if (isControl(c)) controls = true;
      recordBytes += 1;
      continue;
    } else if (state === quoted) {
      state = quoteInQuoted;
      recordBytes += 1;
      continue;
    } else {
      if (state === quoteInQuoted) {
        if (c === QUOTE) {
          // A doubled quote: one quote of content.
          state = quoted;
          first = false;
          last = c;
          recordBytes += 1;
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
        if (dataLine && padEnd(last)) padded = true;
        fields += 1;
        state = fieldStart;
        first = true;
        last = -1;
        recordBytes += 1;
        continue;
      } else if (c === LF) {
        setNewline('\n');
      } else if (c === CR) {
        state = afterCr;
        continue;
      } else if (c === QUOTE) {
        if (state === unquoted) {
          unfit = `line ${line} has a quote inside an unquoted field`;
          break;
        }
        state = quoted;
        recordBytes += 1;
        continue;
      } else {
        // A space, a tab or a control character outside quotes.
        if (first && dataLine && padStart(c)) padded = true;
        first = false;
        last = c;
        if (isControl(c)) controls = true;
        state = unquoted;
        recordBytes += 1;
        continue;
      }
    }
    {
      if (dataLine && padEnd(last)) padded = true;
      if (recordBytes > maxRecordBytes) unfit ??= `line ${line} is longer than 1 MiB`;
      if (dataLine) {
        if (recordBytes === 0) unfit ??= `line ${line} is blank`;
        else if (fields !== fieldsWanted) unfit ??= `line ${line} has ${fields} fields, the header ${fieldsWanted}`;
        st.records += 1;
      }
      if (unfit) break;
      line += 1;
      dataLine = line > skipLines;
      fields = 1;
      recordBytes = 0;
      state = fieldStart;
      first = true;
      last = -1;
    }
  }
  Object.assign(st, { state, fields, recordBytes, line, dataLine, padded, controls, first, last });
  st.unfit ??= unfit;
}

export async function scanCsv(
  file: string,
  options: { delimiter: string; skipLines: number; fields: number },
  hash?: Hash,
): Promise<ScanResult> {
  const delimiter = options.delimiter.charCodeAt(0);
  const specialHere = Uint8Array.from(special);
  specialHere[delimiter] = 1;
  const st: ScanState = {
    special: specialHere,
    state: fieldStart,
    fields: 1,
    recordBytes: 0,
    line: 1,
    dataLine: options.skipLines === 0,
    newline: undefined,
    unfit: undefined,
    records: 0,
    padded: false,
    controls: false,
    first: true,
    last: -1,
  };
  let carry: Buffer = Buffer.alloc(0);
  for await (const raw of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    const chunk = raw as Buffer;
    hash?.update(chunk);
    if (st.unfit) continue;
    const tail = incompleteTail(chunk);
    const checked =
      carry.length > 0
        ? Buffer.concat([carry, chunk.subarray(0, chunk.length - tail)])
        : chunk.subarray(0, chunk.length - tail);
    carry = Buffer.from(chunk.subarray(chunk.length - tail));
    if (!isUtf8(checked)) st.unfit = 'it is not valid UTF-8';
    else scanChunk(chunk, st, delimiter, options.skipLines, options.fields);
  }
  if (!st.unfit) {
    if (carry.length > 0) st.unfit = 'it ends inside a UTF-8 character';
    else if (st.state === quoted) st.unfit = `line ${st.line} opens a quote that never closes`;
    // The last record without a line end: as if it had one.
    else if (st.state === afterCr || st.recordBytes > 0 || st.fields > 1)
      scanChunk(
        Buffer.from(st.state === afterCr ? '\n' : st.newline === '\r\n' ? '\r\n' : '\n'),
        st,
        delimiter,
        options.skipLines,
        options.fields,
      );
  }
  return {
    ...(st.unfit ? { unfit: st.unfit } : {}),
    newline: st.newline ?? '\n',
    records: st.records,
    padded: st.padded,
    controls: st.controls,
  };
}
