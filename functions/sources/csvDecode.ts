import type { CsvEncoding } from '../config/schema.ts';
import { SourceError } from '../errors.ts';

/** The hint every encoding problem ends with: the key the user sets, and the usual answer. */
export const encodingHint = 'set "encoding" on the source, e.g. "windows-1252"';

/** A NUL is valid in every encoding but no text export holds one: the file is damaged, or UTF-16. */
export const nulByte = 'a NUL byte';
export const nulHint = 'the file is damaged, or UTF-16 (then set "encoding" on the source to "utf-16le" or "utf-16be")';

/** One physical line of a file, decoded, as the line splitter found it. */
export interface PhysicalLine {
  /** 1-based; CRLF, LF and a lone CR each end a line. */
  line: number;
  text: string;
  /** The line end as it was in the file: '\r\n', '\n', '\r', or '' on a last line without one. */
  eol: string;
  /**
   * Why the line's bytes are not text in the encoding. `text` is then a lossy decoding, kept only
   * so quotes can be followed; the record holding the line is rejected, never read with U+FFFD.
   */
  invalid?: string;
  /** Longer than the line limit: its bytes were dropped (memory stays flat) and `text` is empty. */
  overlong?: boolean;
}

/** A physical line longer than this is not read; no export has one (Excel's cell limit is 32,767 characters). */
export const maxLineBytes = 4 * 1024 * 1024;

const boms: { bytes: number[]; encoding: CsvEncoding }[] = [
  { bytes: [0xef, 0xbb, 0xbf], encoding: 'utf-8' },
  { bytes: [0xff, 0xfe], encoding: 'utf-16le' },
  { bytes: [0xfe, 0xff], encoding: 'utf-16be' },
];

function bomOf(head: Buffer): { encoding: CsvEncoding; length: number } | undefined {
  const found = boms.find((b) => b.bytes.length <= head.length && b.bytes.every((byte, i) => head[i] === byte));
  return found && { encoding: found.encoding, length: found.bytes.length };
}

/**
 * UTF-16 without a BOM read as an 8-bit encoding: ASCII text has a NUL in every other byte (odd
 * bytes for little-endian, even for big-endian), which no real CSV in a byte encoding has.
 */
export function sniffUtf16(head: Buffer): 'utf-16le' | 'utf-16be' | undefined {
  const sample = head.subarray(0, Math.min(head.length, 1024) & ~1);
  const pairs = sample.length / 2;
  if (pairs < 2) return undefined;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < sample.length; i += 2) {
    if (sample[i] === 0) evenZeros += 1;
    if (sample[i + 1] === 0) oddZeros += 1;
  }
  if (oddZeros >= pairs * 0.4 && evenZeros <= pairs * 0.1) return 'utf-16le';
  if (evenZeros >= pairs * 0.4 && oddZeros <= pairs * 0.1) return 'utf-16be';
  return undefined;
}

/**
 * windows-1252's 0x80–0x9F (the rest is ISO-8859-1), from the Unicode mapping table
 * (unicode.org/Public/MAPPINGS/VENDORS/MICSFT/WINDOWS/CP1252.TXT); 0 marks the five undefined
 * bytes, rejected like any invalid byte. Node's TextDecoder('windows-1252') decodes this range as
 * ISO-8859-1 since 20.18.3 (nodejs/node#56542, #60888), so the table is applied here.
 */
const cp1252High = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0, 0,
  0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
];

function decodeWindows1252(bytes: Buffer): { text: string; invalid?: string } {
  const text = bytes.toString('latin1');
  if (!/[\u0080-\u009f]/.test(text)) return { text };
  let invalid: string | undefined;
  const mapped = text.replace(/[\u0080-\u009f]/g, (c) => {
    const code = cp1252High[c.charCodeAt(0) - 0x80]!;
    if (code === 0) invalid = 'bytes that are not valid windows-1252';
    return code === 0 ? '\ufffd' : String.fromCharCode(code);
  });
  return invalid ? { text: mapped, invalid } : { text: mapped };
}

interface LineDecoder {
  /** Code unit width: 1 byte, or 2 for UTF-16. */
  unit: 1 | 2;
  littleEndian: boolean;
  decode(bytes: Buffer): { text: string; invalid?: string };
}

function lineDecoder(encoding: CsvEncoding): LineDecoder {
  if (encoding === 'windows-1252') return { unit: 1, littleEndian: true, decode: decodeWindows1252 };
  if (encoding === 'latin1') {
    // ISO-8859-1 proper (every byte is U+0000–U+00FF). TextDecoder would read the label 'latin1'
    // as windows-1252 (WHATWG Encoding, "Legacy single-byte encodings"); that one has its own key.
    return { unit: 1, littleEndian: true, decode: (bytes) => ({ text: bytes.toString('latin1') }) };
  }
  // ignoreBOM: a U+FEFF at the start of a line is data; only the file's first bytes are a BOM,
  // and those are stripped before any line is decoded.
  const strict = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  const lossy = new TextDecoder(encoding, { ignoreBOM: true });
  return {
    unit: encoding.startsWith('utf-16') ? 2 : 1,
    littleEndian: encoding !== 'utf-16be',
    decode: (bytes) => {
      try {
        return { text: strict.decode(bytes) };
      } catch {
        return { text: lossy.decode(bytes), invalid: `bytes that are not valid ${encoding}` };
      }
    },
  };
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a file's bytes into decoded lines, one line in memory at a time. Lines are split on the
 * raw bytes (a CR or LF code unit never occurs inside a multi-byte character in UTF-8, UTF-16 or
 * an 8-bit encoding), and each line is decoded on its own and strictly, so bytes invalid in the
 * encoding cost only the line that holds them. A BOM picks UTF-8 or UTF-16 whatever `encoding` says.
 * Yields the lines of each chunk read.
 */
export async function* decodeLines(
  bytes: AsyncIterable<Buffer>,
  options: { encoding: CsvEncoding; file: string },
): AsyncGenerator<PhysicalLine[]> {
  let pending: Buffer = Buffer.alloc(0);
  let decoder: LineDecoder | undefined;
  let line = 0;
  let overflow = false;

  const start = (): LineDecoder => {
    const bom = bomOf(pending);
    if (bom) {
      pending = pending.subarray(bom.length);
      return lineDecoder(bom.encoding);
    }
    if (!options.encoding.startsWith('utf-16')) {
      const utf16 = sniffUtf16(pending);
      if (utf16) {
        throw new SourceError(
          `${options.file}: looks like UTF-16 without a byte order mark (a NUL byte every other byte): set "encoding" on the source to "${utf16}"`,
        );
      }
    }
    return lineDecoder(options.encoding);
  };

  function* drain(d: LineDecoder, final: boolean): Generator<PhysicalLine> {
    const { unit, littleEndian } = d;
    const at =
      unit === 1
        ? (i: number) => pending[i]!
        : littleEndian
          ? (i: number) => pending[i]! | (pending[i + 1]! << 8)
          : (i: number) => (pending[i]! << 8) | pending[i + 1]!;
    const end = pending.length - (unit - 1);
    let from = 0;
    let i = 0;
    for (; i < end; i += unit) {
      const code = at(i);
      if (code !== LF && code !== CR) continue;
      let eol = '\n';
      let next = i + unit;
      if (code === CR) {
        // A CR at the end of what has arrived may be the first half of a CRLF.
        if (next >= end && !final) break;
        if (next < end && at(next) === LF) {
          eol = '\r\n';
          next += unit;
        } else eol = '\r';
      }
      yield emit(d, pending.subarray(from, i), eol);
      from = next;
      i = next - unit;
    }
    pending = pending.subarray(from);
    if (final) {
      if (pending.length > 0 || overflow) yield emit(d, pending, '');
      pending = Buffer.alloc(0);
    } else if (pending.length > maxLineBytes) {
      // Drop the line's bytes so far (keeping an odd byte of UTF-16, which starts the next unit).
      overflow = true;
      pending = Buffer.from(pending.subarray(pending.length - (pending.length % unit)));
    }
  }

  const emit = (d: LineDecoder, raw: Buffer, eol: string): PhysicalLine => {
    line += 1;
    if (overflow || raw.length > maxLineBytes) {
      overflow = false;
      return { line, text: '', eol, overlong: true };
    }
    const { text, invalid } = d.decode(raw);
    if (invalid) return { line, text, eol, invalid };
    if (text.includes('\u0000')) return { line, text, eol, invalid: nulByte };
    return { line, text, eol };
  };

  for await (const chunk of bytes) {
    pending = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    if (!decoder) {
      if (pending.length < 4) continue;
      decoder = start();
    }
    // The lines of a chunk go together: one await per chunk, not per line.
    yield [...drain(decoder, false)];
  }
  decoder ??= start();
  yield [...drain(decoder, true)];
}
