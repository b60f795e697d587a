import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbEngine } from '../../functions/adapters/local/duckdbEngine.ts';
import { FolderStore } from '../../functions/adapters/local/folderStore.ts';

/**
 * A file landed as exported is read by DuckDB's CSV reader into a work file, and each row's
 * number (its line, in rejects; its ingestion order, which breaks ties between equal versions) is
 * its place there. That holds only if the copy follows the file: checked here on a file of
 * several of the reader's 32 MB buffers, by an engine of four threads.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'pulse-landed-order-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a landed export read in parallel', () => {
  it('numbers its rows in file order', async () => {
    // prepare: 4 million rows, ~80 MB, each holding its own row number
    const rows = 4_000_000;
    const lines: string[] = ['seq,pad'];
    for (let i = 1; i <= rows; i += 1) lines.push(`${i},abcdefghijklmn`);
    writeFileSync(path.join(dir, 'big.csv'), `${lines.join('\n')}\n`);
    const engine = await DuckDbEngine.open(new FolderStore(dir), { threads: 4 });
    try {
      // act
      await engine.registerLanded(
        {
          key: 'big.csv',
          format: 'csv',
          unit: 'big.csv',
          name: 'big.csv',
          landing: 'test',
          layout: { header: ['seq', 'pad'], delimiter: ',', skipLines: 1, newline: '\n', columns: { id: 0 } },
        },
        ['id'],
      );
      const [check] = await engine.query(
        'select count(*) as n, count_if(cast(id as bigint) <> _row) as misplaced, count_if(_line <> _row + 1) as offline from landed',
      );
      // assess
      expect(check).toEqual({ n: rows, misplaced: 0, offline: 0 });
    } finally {
      await engine.close();
    }
  }, 60_000);
});
