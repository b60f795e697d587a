import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanCsv } from '../../functions/sources/csvScan.ts';

/**
 * The landing scan decides whether an export can land as it is (the engine's CSV reader reads it
 * strictly, row n on line n + 1) or must be split by Pulse's reader, and what curate may skip.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'pulse-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function scan(content: string | Buffer, delimiter = ',', skipLines = 1) {
  const file = path.join(dir, `f-${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(file, content);
  const header = (typeof content === 'string' ? content : content.toString('utf8')).split(/\r?\n/)[skipLines - 1] ?? '';
  const hash = createHash('sha256');
  const result = await scanCsv(file, { delimiter, skipLines, fields: header.split(delimiter).length }, hash);
  return { ...result, unfit: result.unfit, sha256: hash.digest('hex') };
}

describe('the landing scan', () => {
  it('passes a plain export: LF or CRLF throughout, quoted fields on one line, the last line without an end', async () => {
    expect(await scan('a,b,c\n1,"x, ""y""",3\n4,5,6')).toMatchObject({
      unfit: undefined,
      newline: '\n',
      records: 2,
      padded: false,
      controls: false,
    });
    expect(await scan('a;b\r\n1;2\r\n')).toMatchObject({ newline: '\r\n', records: 1 });
    expect((await scan('a;b\r\n1;2\r\n', ';')).unfit).toBeUndefined();
  });

  it('hashes every byte it reads', async () => {
    const content = 'a,b\n1,2\n';
    expect((await scan(content)).sha256).toBe(createHash('sha256').update(content).digest('hex'));
  });

  it.each([
    ['a,b\n1,"x\ny"\n', /line break inside a quoted field/],
    ['a,b\n1,"x\n', /line break inside a quoted field/],
    ['a,b\n1,"x', /opens a quote that never closes/],
    ['a,b\n1,x"y\n', /quote inside an unquoted field/],
    ['a,b\n1,"x"y\n', /text after a closing quote/],
    ['a,b\n1,2,3\n', /line 2 has 3 fields, the header 2/],
    ['a,b\n1\n', /line 2 has 1 fields/],
    ['a,b\n\n1,2\n', /line 2 is blank/],
    ['a,b\r1,2\r', /lone CR/],
    ['a,b\r\n1,2\n', /ends in LF, earlier lines in CRLF/],
    ['a,b\n1,x\u0000y\n', /NUL byte/],
    [Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0x31, 0x2c, 0xe9, 0x0a]), /not valid UTF-8/],
  ])('leaves %j to Pulse’s reader: %s', async (content, reason) => {
    expect((await scan(content)).unfit).toMatch(reason);
  });

  it('says whether a field is padded with whitespace or holds a control character', async () => {
    expect(await scan('a,b\n1, x\n')).toMatchObject({ unfit: undefined, padded: true });
    expect(await scan('a,b\n1,"x\t"\n')).toMatchObject({ padded: true });
    expect(await scan('a,b\n1,x\u00a0\n')).toMatchObject({ padded: true });
    expect(await scan('a,b\n1,x y\n')).toMatchObject({ padded: false });
    expect(await scan('a,b\n1,x\u0007\n')).toMatchObject({ unfit: undefined, controls: true, padded: false });
    // The header's own padding is not data: it is trimmed when the header is bound.
    expect(await scan(' a , b \n1,2\n')).toMatchObject({ padded: false });
  });

  it('skips the lines before the header it is told of (Excel’s sep=)', async () => {
    expect(await scan('sep=;\na;b\n1;2\n', ';', 2)).toMatchObject({ unfit: undefined, records: 1 });
  });
});
