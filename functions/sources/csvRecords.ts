import { SourceError } from '../errors.ts';
import { encodingHint, nulByte, nulHint, type PhysicalLine } from './csvDecode.ts';

/** A record's text, ready for csv-parse: its lines as in the file, the last line end made '\n'. */
export interface RecordText {
  kind: 'record';
  /** The line the record starts on. */
  line: number;
  text: string;
}

/** The header record, with the delimiter it is read with (configured, Excel's `sep=`, or sniffed). */
export interface HeaderText {
  kind: 'header';
  line: number;
  text: string;
  delimiter: string;
}

/** A record the reader could not read: rejected, and reading goes on with the next. */
export interface RecordReject {
  kind: 'reject';
  line: number;
  reason: 'malformed_csv' | 'bad_encoding';
  message: string;
}

export type RecordItem = HeaderText | RecordText | RecordReject;

/**
 * How far a quoted field may run before it is taken for an unclosed quote. Generous for a ticket
 * description pasted into one cell (Excel's cell limit is 32,767 characters), and what bounds the
 * lines held in memory while a record is open.
 */
export const recordLimits = { lines: 10_000, chars: 1024 * 1024 };

/** Candidates for a sniffed delimiter, in the order a tie is settled. */
const sniffedDelimiters = [',', ';', '\t', '|'];

const fieldStart = 0;
const unquoted = 1;
const quoted = 2;
const QUOTE = 0x22;

interface Scan {
  state: number;
  /** A quoted field closed with something else than the delimiter or the line end after its quote. */
  dirty: boolean;
  /** A quote inside an unquoted field (data under relax_quotes; a sign of the wrong delimiter when sniffing). */
  stray: boolean;
  fields: number;
}

/**
 * Follows quotes through one line the way csv-parse reads them with relax_quotes: a quote opens a
 * field only at the field's start; inside, "" is a quote and a quote before the delimiter or the
 * line end closes it; a quote before anything else leaves the field unquoted (read as data).
 */
function scanLine(text: string, delimiter: number, scan: Scan): void {
  let state = scan.state;
  if (state !== quoted && !text.includes('"')) {
    // The common line: no quote to follow, only delimiters to count when sniffing.
    if (scan.fields > 0) scan.fields += text.split(String.fromCharCode(delimiter)).length - 1;
    scan.state = unquoted;
    return;
  }
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (state === quoted) {
      if (c !== QUOTE) continue;
      const next = text.charCodeAt(i + 1);
      if (next === QUOTE) i += 1;
      else {
        if (i + 1 < text.length && next !== delimiter) scan.dirty = true;
        state = unquoted;
      }
    } else if (c === delimiter) {
      state = fieldStart;
      if (scan.fields > 0) scan.fields += 1;
    } else if (c === QUOTE) {
      if (state === fieldStart) state = quoted;
      else scan.stray = true;
    } else state = unquoted;
  }
  scan.state = state;
}

/**
 * The delimiter that splits the header into the most fields, quotes respected: a candidate that
 * leaves a quote inside a field (`a;"b,c"` split on ',') reads the quotes wrong and counts only if
 * every candidate does. ',' when none splits the header.
 */
export function sniffDelimiter(header: string): string {
  let best = ',';
  let most = 1;
  let bestClean = false;
  for (const candidate of sniffedDelimiters) {
    const scan: Scan = { state: fieldStart, dirty: false, stray: false, fields: 1 };
    scanLine(header, candidate.charCodeAt(0), scan);
    const clean = !scan.stray && !scan.dirty && scan.state !== quoted;
    if (scan.fields > 1 && ((clean && !bestClean) || (clean === bestClean && scan.fields > most))) {
      best = candidate;
      most = scan.fields;
      bestClean = clean;
    }
  }
  return best;
}

/** Excel's first line naming the delimiter (`sep=;`), which is not part of the data. */
const excelSep = /^"?sep=(.)"?$/i;

/**
 * Groups a file's lines into records and resynchronises after one it cannot read (docs/design.md, "One
 * bad line never hides the next").
 *
 * The rule: a quoted field may span lines, but it must close cleanly (its quote followed by the
 * delimiter or the line end) within `recordLimits` (10,000 lines, 1 M characters). A record whose
 * quote is still open at the end of the file or past that limit, or whose multi-line field closes
 * on a stray quote, is taken to start with an unclosed quote: only its first line is rejected
 * (`malformed_csv`, naming that line), and reading resumes on the line after, so the lines it
 * swallowed are read again as records. A record holding bytes invalid in the encoding is rejected
 * as `bad_encoding`. A problem in the header stops the file: nothing can be read without it.
 */
export async function* readRecords(
  lines: AsyncIterable<PhysicalLine[]>,
  options: { file: string; delimiter?: string | undefined; limits?: typeof recordLimits },
): AsyncGenerator<RecordItem[]> {
  const { file } = options;
  const limits = options.limits ?? recordLimits;
  const source = lines[Symbol.asyncIterator]();
  // Lines of a record given up on, to be read again: at most one record's worth.
  const replay: PhysicalLine[] = [];
  let arrived: PhysicalLine[] = [];
  let at = 0;
  // Records go out a chunk's worth at a time, as the lines came in.
  let out: RecordItem[] = [];

  let delimiter = options.delimiter;
  let first = true;
  let header = true;
  let record: PhysicalLine[] = [];
  let chars = 0;
  let dirtyLine = 0;
  const scan: Scan = { state: fieldStart, dirty: false, stray: false, fields: 0 };
  const reset = () => {
    record = [];
    chars = 0;
    dirtyLine = 0;
    scan.state = fieldStart;
    scan.dirty = false;
  };

  /** Gives up on the open record: its first line is rejected, the others are read again. */
  const resync = (why: string): RecordReject => {
    const opening = record[0]!;
    const message = `${file} line ${opening.line}: a quoted field opens on this line and ${why}; the line is rejected and reading resumes on the next line`;
    if (header)
      throw new SourceError(
        `${file} line ${opening.line}: the header has a quoted field that ${why}: fix the header's quotes`,
      );
    replay.unshift(...record.slice(1));
    reset();
    return { kind: 'reject', line: opening.line, reason: 'malformed_csv', message };
  };

  try {
    yield* records();
  } finally {
    // Stopped early (a header error, a preview that has its rows): close the file behind the lines.
    await source.return?.();
  }

  async function* records(): AsyncGenerator<RecordItem[]> {
    for (;;) {
      let line: PhysicalLine | undefined;
      if (replay.length > 0) line = replay.shift();
      else if (at < arrived.length) line = arrived[at++];
      else {
        if (out.length > 0) yield out;
        out = [];
        const result = await source.next();
        if (!result.done) {
          arrived = result.value;
          at = 0;
          continue;
        }
      }
      if (line === undefined) {
        if (record.length === 0) break;
        out.push(resync('is not closed by the end of the file'));
        continue;
      }
      if (record.length === 0) {
        if (line.text === '' && !line.invalid && !line.overlong) continue;
        if (first) {
          first = false;
          const sep = excelSep.exec(line.text);
          if (sep && !line.invalid) {
            delimiter ??= sep[1];
            continue;
          }
        }
        if (line.overlong) {
          if (header)
            throw new SourceError(`${file} line ${line.line}: the header is longer than 4 MiB: is this a CSV export?`);
          out.push({
            kind: 'reject',
            line: line.line,
            reason: 'malformed_csv',
            message: `${file} line ${line.line}: the line is longer than 4 MiB and is not read`,
          });
          continue;
        }
        if (header && delimiter === undefined) delimiter = sniffDelimiter(line.text);
      } else if (line.overlong) {
        replay.unshift(line);
        out.push(resync(`runs into line ${line.line}, longer than 4 MiB`));
        continue;
      }
      record.push(line);
      chars += line.text.length;
      scan.dirty = false;
      scanLine(line.text, (delimiter ?? ',').charCodeAt(0), scan);
      // A stray closing quote matters on a continuation line: there it ends a field that opened by mistake.
      if (scan.dirty && record.length > 1 && dirtyLine === 0) dirtyLine = line.line;
      if (scan.state === quoted) {
        if (record.length >= limits.lines || chars > limits.chars) {
          out.push(
            resync(
              `is not closed within ${limits.lines.toLocaleString('en-US')} lines or ${limits.chars.toLocaleString('en-US')} characters`,
            ),
          );
        }
        continue;
      }
      const start = record[0]!.line;
      if (dirtyLine > 0) {
        out.push(resync(`closes on a stray quote on line ${dirtyLine}`));
        continue;
      }
      const invalid = record.find((l) => l.invalid);
      if (invalid) {
        const what = `${invalid.invalid}${invalid.line === start ? '' : ` on line ${invalid.line}`}: ${invalid.invalid === nulByte ? nulHint : encodingHint}`;
        if (header) throw new SourceError(`${file} line ${start}: the header holds ${what}`);
        out.push({
          kind: 'reject',
          line: start,
          reason: 'bad_encoding',
          message: `${file} line ${start}: the line holds ${what}`,
        });
        reset();
        continue;
      }
      let text = '';
      for (let i = 0; i < record.length - 1; i += 1) text += record[i]!.text + record[i]!.eol;
      text += `${record[record.length - 1]!.text}\n`;
      if (header) {
        header = false;
        out.push({ kind: 'header', line: start, text, delimiter: delimiter ?? ',' });
      } else out.push({ kind: 'record', line: start, text });
      reset();
    }
    if (out.length > 0) yield out;
  }
}
