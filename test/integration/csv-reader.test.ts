import { describe, expect, it } from 'vitest';
import { readExport } from '../support/readExport.ts';
import { SourceError } from '../../functions/errors.ts';
import { csvSourceSchema } from '../../functions/config/schema.ts';
import type { RejectedRow, SourceRow } from '../../functions/ports/source.ts';
import { mappingFingerprint } from '../../functions/sources/csv.ts';
import { decodeLines, type PhysicalLine } from '../../functions/sources/csvDecode.ts';
import { recordLimits } from '../../functions/sources/csvRecords.ts';

/**
 * Real exports as they come (docs/design.md, "Bad input"): encodings, delimiters, line ends, and one bad
 * line that never hides the next. Every case checks that each data record of the file is counted
 * once, accepted or rejected (rows read = accepted + rejected).
 */
const hint = 'set "encoding" on the source, e.g. "windows-1252"';

interface Read {
  rows: SourceRow[];
  accepted: Record<string, unknown>[];
  rejected: RejectedRow[];
}

async function read(content: string | Buffer, options: Record<string, unknown> = {}): Promise<Read> {
  const { rows } = await readExport(content, { source: options });
  return {
    rows,
    accepted: rows.flatMap((r) => (r.ok ? [r.record] : [])),
    rejected: rows.filter((r): r is RejectedRow => !r.ok),
  };
}

/** Rows read = accepted + rejected, and as many rows as the file has data records. */
function expectCounted(result: Read, records: number): void {
  expect(result.rows).toHaveLength(records);
  expect(result.accepted.length + result.rejected.length).toBe(records);
}

const utf16be = (text: string) => Buffer.from(text, 'utf16le').swap16();
const bom = {
  utf8: Buffer.from([0xef, 0xbb, 0xbf]),
  utf16le: Buffer.from([0xff, 0xfe]),
  utf16be: Buffer.from([0xfe, 0xff]),
};
const accents =
  'id,created_at,status,category\n1,2026-10-01,open,Müller\n2,2026-10-02,open,café\n3,2026-10-03,open,€ 5\n';

describe('encodings', () => {
  it('a UTF-8 BOM is not part of the first header', async () => {
    // prepare
    const content = Buffer.concat([bom.utf8, Buffer.from(accents)]);
    // act
    const result = await read(content);
    // assess
    expectCounted(result, 3);
    expect(result.accepted.map((r) => r.category)).toEqual(['Müller', 'café', '€ 5']);
  });

  it('a UTF-16LE BOM reads the file as UTF-16LE, whatever encoding says', async () => {
    const content = Buffer.concat([bom.utf16le, Buffer.from(accents.replaceAll('\n', '\r\n'), 'utf16le')]);
    const result = await read(content, { encoding: 'windows-1252' });
    expectCounted(result, 3);
    expect(result.accepted.map((r) => r.category)).toEqual(['Müller', 'café', '€ 5']);
    expect(result.rows.map((r) => r.location.line)).toEqual([2, 3, 4]);
  });

  it('a UTF-16BE BOM reads the file as UTF-16BE', async () => {
    const content = Buffer.concat([bom.utf16be, utf16be(accents)]);
    const result = await read(content);
    expectCounted(result, 3);
    expect(result.accepted.map((r) => r.category)).toEqual(['Müller', 'café', '€ 5']);
  });

  it('UTF-16 without a BOM is an error naming the encoding key and the value to set', async () => {
    await expect(read(Buffer.from(accents, 'utf16le'))).rejects.toThrow(
      new SourceError(
        'export.csv: looks like UTF-16 without a byte order mark (a NUL byte every other byte): set "encoding" on the source to "utf-16le"',
      ),
    );
    await expect(read(utf16be(accents))).rejects.toThrow(/set "encoding" on the source to "utf-16be"/);
  });

  it('UTF-16 without a BOM reads once encoding names it', async () => {
    const result = await read(Buffer.from(accents, 'utf16le'), { encoding: 'utf-16le' });
    expectCounted(result, 3);
    expect(result.accepted.map((r) => r.category)).toEqual(['Müller', 'café', '€ 5']);
  });

  it('windows-1252 with encoding set reads accents and the euro sign', async () => {
    // 0x80 is € in windows-1252, 0xFC ü, 0xE9 é.
    const content = Buffer.concat([
      Buffer.from('id,created_at,status,category\n1,2026-10-01,open,M'),
      Buffer.from([0xfc]),
      Buffer.from('ller\n2,2026-10-02,open,caf'),
      Buffer.from([0xe9]),
      Buffer.from('\n3,2026-10-03,open,'),
      Buffer.from([0x80]),
      Buffer.from(' 5\n'),
    ]);
    const result = await read(content, { encoding: 'windows-1252' });
    expectCounted(result, 3);
    expect(result.accepted.map((r) => r.category)).toEqual(['Müller', 'café', '€ 5']);
  });

  it('windows-1252 bytes read as UTF-8: those lines are bad_encoding with the hint, the others kept', async () => {
    const content = Buffer.concat([
      Buffer.from('id,created_at,status,category\n1,2026-10-01,open,plain\n2,2026-10-02,open,M'),
      Buffer.from([0xfc]),
      Buffer.from('ller\n3,2026-10-03,open,ok\n4,2026-10-04,open,caf'),
      Buffer.from([0xe9]),
      Buffer.from('\n'),
    ]);
    const result = await read(content);
    expectCounted(result, 4);
    expect(result.accepted.map((r) => r.id)).toEqual(['1', '3']);
    expect(result.rejected.map((r) => [r.location.row, r.location.line, r.reason])).toEqual([
      [2, 3, 'bad_encoding'],
      [4, 5, 'bad_encoding'],
    ]);
    expect(result.rejected[0]!.message).toBe(
      `export.csv line 3: the line holds bytes that are not valid utf-8: ${hint}`,
    );
    // Never silently replaced: no U+FFFD reaches a record.
    expect(JSON.stringify(result.rows)).not.toContain('\uFFFD');
  });

  it('a header that is not valid in the encoding stops the file with the hint', async () => {
    const content = Buffer.concat([
      Buffer.from('id,created_at,status,Kategorie f'),
      Buffer.from([0xfc]),
      Buffer.from('r\n1,2026-10-01,open,x\n'),
    ]);
    await expect(read(content)).rejects.toThrow(
      `export.csv line 1: the header holds bytes that are not valid utf-8: ${hint}`,
    );
  });

  it('latin1 reads ISO-8859-1', async () => {
    const content = Buffer.from(accents.replace('€ 5', 'Ø 5'), 'latin1');
    const result = await read(content, { encoding: 'latin1' });
    expectCounted(result, 3);
    expect(result.accepted.map((r) => r.category)).toEqual(['Müller', 'café', 'Ø 5']);
  });

  it('a NUL byte inside a field rejects that line as bad_encoding and keeps the others', async () => {
    const content = Buffer.concat([
      Buffer.from('id,created_at,status,category\n1,2026-10-01,open,a'),
      Buffer.from([0x00]),
      Buffer.from('b\n2,2026-10-02,open,ok\n'),
    ]);
    const result = await read(content);
    expectCounted(result, 2);
    expect(result.accepted.map((r) => r.id)).toEqual(['2']);
    expect(result.rejected.map((r) => [r.location.line, r.reason])).toEqual([[2, 'bad_encoding']]);
    expect(result.rejected[0]!.message).toMatch(
      /^export\.csv line 2: the line holds a NUL byte: the file is damaged, or UTF-16/,
    );
  });

  it('rejects an unknown encoding in the config', () => {
    const parsed = csvSourceSchema.safeParse({
      name: 'x',
      type: 'csv',
      entity: 'tickets',
      path: 'a.csv',
      encoding: 'ebcdic',
    });
    expect(parsed.success).toBe(false);
  });
});

describe('delimiters', () => {
  it.each([
    ['semicolon', ';'],
    ['tab', '\t'],
    ['pipe', '|'],
  ])('a %s is sniffed from the header', async (_name, delimiter) => {
    const lines = [
      ['id', 'created_at', 'status', 'category'],
      ['1', '2026-10-01', 'open', 'a,b'],
      ['2', '2026-10-02', 'solved', 'c'],
    ];
    const result = await read(`${lines.map((l) => l.join(delimiter)).join('\n')}\n`);
    expectCounted(result, 2);
    expect(result.accepted.map((r) => [r.id, r.status, r.category])).toEqual([
      ['1', 'open', 'a,b'],
      ['2', 'solved', 'c'],
    ]);
  });

  it('the sniffer respects quotes: commas inside a quoted header field do not count', async () => {
    const result = await read('id;created_at;status;"category, a, b, c, d"\n1;2026-10-01;open;x\n', {
      columns: { category: 'category, a, b, c, d' },
    });
    expectCounted(result, 1);
    expect(result.accepted[0]).toMatchObject({ id: '1', category: 'x' });
  });

  it("Excel's sep=; line sets the delimiter and is not a row", async () => {
    const result = await read('sep=;\r\nid;created_at;status\r\n1;2026-10-01;open\r\n2;2026-10-02;solved\r\n');
    expectCounted(result, 2);
    expect(result.rows.map((r) => [r.location.row, r.location.line])).toEqual([
      [1, 3],
      [2, 4],
    ]);
  });

  it('an explicit delimiter wins over sniffing', async () => {
    // The header splits most on ';', but the user says ','.
    const result = await read('id,created_at,status;x;y;z\n1,2026-10-01,open\n', {
      delimiter: ',',
      columns: { status: 'status;x;y;z' },
    });
    expectCounted(result, 1);
    expect(result.accepted[0]).toMatchObject({ id: '1', status: 'open' });
  });

  it('encoding and delimiter are part of the mapping fingerprint, so changing them reads the file again', () => {
    const base = csvSourceSchema.parse({ name: 'x', type: 'csv', entity: 'tickets', path: 'a.csv' });
    const fingerprint = (extra: Record<string, unknown>) =>
      mappingFingerprint(csvSourceSchema.parse({ ...base, ...extra }), 'UTC');
    expect(fingerprint({ encoding: 'windows-1252' })).not.toBe(fingerprint({}));
    expect(fingerprint({ delimiter: ';' })).not.toBe(fingerprint({}));
  });
});

describe('line ends', () => {
  const rows = ['id,created_at,status', '1,2026-10-01,open', '2,2026-10-02,open', '3,2026-10-03,open'];

  it('CR-only line ends (old Mac exports) read with the right lines', async () => {
    const result = await read(`${rows.join('\r')}\r`);
    expectCounted(result, 3);
    expect(result.rows.map((r) => r.location.line)).toEqual([2, 3, 4]);
  });

  it('mixed CRLF and LF read with the right lines, a multi-line field included', async () => {
    const result = await read(
      `${rows[0]}\r\n${rows[1]}\n4,2026-10-01,open,"two\r\nlines"\r\n${rows[2]}\r\n\n${rows[3]}`,
      {},
    );
    expectCounted(result, 4);
    expect(result.rows.map((r) => [r.location.row, r.location.line])).toEqual([
      [1, 2],
      [2, 3],
      [3, 5],
      [4, 7],
    ]);
    // The extra column makes row 2 a column_count reject; its line is still the one it starts on.
    expect(result.rejected.map((r) => [r.location.line, r.reason])).toEqual([[3, 'column_count']]);
  });
});

describe('chunk boundaries', () => {
  async function lines(content: Buffer, chunk: number, encoding: 'utf-8' | 'utf-16le'): Promise<PhysicalLine[]> {
    async function* chunks() {
      for (let i = 0; i < content.length; i += chunk) yield content.subarray(i, i + chunk);
    }
    const all: PhysicalLine[] = [];
    for await (const batch of decodeLines(chunks(), { encoding, file: 'export.csv' })) all.push(...batch);
    return all;
  }

  it.each([
    ['utf-8', Buffer.from('id,x\r\nMüller,€\r2,a\n\r\n3,"b\r\nc"')],
    ['utf-16le', Buffer.concat([bom.utf16le, Buffer.from('id,x\r\nMüller,€\r2,a\n\r\n3,"b\r\nc"', 'utf16le')])],
  ] as const)(
    '%s: a line end or a character split across chunks reads the same as in one chunk',
    async (encoding, content) => {
      // prepare: the whole file in one chunk
      const whole = await lines(content, content.length, encoding);
      // act: the same bytes one, two and three at a time
      const split = await Promise.all([1, 2, 3].map((size) => lines(content, size, encoding)));
      // assess
      expect(whole.map((l) => [l.line, l.text, l.eol])).toEqual([
        [1, 'id,x', '\r\n'],
        [2, 'Müller,€', '\r'],
        [3, '2,a', '\n'],
        [4, '', '\r\n'],
        [5, '3,"b', '\r\n'],
        [6, 'c"', ''],
      ]);
      for (const each of split) expect(each).toEqual(whole);
    },
  );
});

describe('one bad line never hides the next', () => {
  const ten = Array.from({ length: 10 }, (_, i) => `${i + 1},2026-10-${String(i + 1).padStart(2, '0')},open,c${i + 1}`);

  it('an unclosed quote in the middle of 10 rows: 1 rejected naming its line, 9 kept', async () => {
    // prepare: row 5 (line 6) opens a quote it never closes
    const lines = [...ten];
    lines[4] = '5,2026-10-05,open,"never closed';
    // act
    const result = await read(`id,created_at,status,category\n${lines.join('\n')}\n`);
    // assess
    expectCounted(result, 10);
    expect(result.accepted.map((r) => r.id)).toEqual(['1', '2', '3', '4', '6', '7', '8', '9', '10']);
    expect(result.rejected.map((r) => [r.location.row, r.location.line, r.reason])).toEqual([[5, 6, 'malformed_csv']]);
    expect(result.rejected[0]!.message).toBe(
      'export.csv line 6: a quoted field opens on this line and is not closed by the end of the file; the line is rejected and reading resumes on the next line',
    );
  });

  it('a stray opening quote that a later line "closes" costs only its own line', async () => {
    // Line 3's quote pairs with line 5's opening quote, which is followed by data, not a delimiter.
    const result = await read(
      'id,created_at,status,category\n1,2026-10-01,open,a\n2,2026-10-02,open,"12"" screen\n3,2026-10-03,open,b\n4,2026-10-04,open,"x" y\n5,2026-10-05,open,c\n',
    );
    expectCounted(result, 5);
    expect(result.accepted.map((r) => r.id)).toEqual(['1', '3', '4', '5']);
    expect(result.rejected.map((r) => [r.location.line, r.reason])).toEqual([[3, 'malformed_csv']]);
    expect(result.rejected[0]!.message).toMatch(/closes on a stray quote on line 5/);
  });

  it(`a quote still open after ${recordLimits.lines.toLocaleString('en-US')} lines is given up on there, and every later line is read`, async () => {
    const many = Array.from({ length: recordLimits.lines + 50 }, (_, i) => `${i + 2},2026-10-01,open,x`);
    const result = await read(`id,created_at,status,category\n1,2026-10-01,open,"opens\n${many.join('\n')}\n`);
    expectCounted(result, recordLimits.lines + 51);
    expect(result.rejected.map((r) => [r.location.line, r.reason])).toEqual([[2, 'malformed_csv']]);
    expect(result.rejected[0]!.message).toMatch(/is not closed within 10,000 lines/);
    expect(result.accepted).toHaveLength(recordLimits.lines + 50);
  });

  it('a quoted field spanning lines that closes cleanly stays one record', async () => {
    const result = await read(
      'id,created_at,status,category\n1,2026-10-01,open,"first\nsecond, ""quoted""\nthird"\n2,2026-10-02,open,b\n',
    );
    expectCounted(result, 2);
    expect(result.accepted.map((r) => r.category)).toEqual(['first\nsecond, "quoted"\nthird', 'b']);
    expect(result.rows.map((r) => r.location.line)).toEqual([2, 5]);
  });

  it('a quote in the header that never closes stops the file, saying so', async () => {
    await expect(read('id,created_at,"status\n1,2026-10-01,open\n')).rejects.toThrow(
      /^export\.csv line 1: the header has a quoted field that is not closed by the end of the file/,
    );
  });
});
