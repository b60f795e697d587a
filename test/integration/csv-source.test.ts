import { describe, expect, it } from 'vitest';
import { readExport } from '../support/readExport.ts';
import { SourceError } from '../../functions/errors.ts';
import type { RejectedRow, SourceRow } from '../../functions/ports/source.ts';

const header = 'id,created_at,status,channel,priority,solved_at,handle_seconds';

async function read(
  content: string | Buffer,
  options: Record<string, unknown> = {},
  businessZone = 'UTC',
): Promise<SourceRow[]> {
  return (await readExport(content, { source: options, zone: businessZone })).rows;
}

const rejected = (rows: SourceRow[]) => rows.filter((r): r is RejectedRow => !r.ok);

describe('CSV source', () => {
  it('handles a BOM, CRLF, quoted multi-line fields and date-only values', async () => {
    const content = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(
        `id,created_at,status,category\r\n1,2026-10-01,open,"billing\r\nsecond line, with comma"\r\n2,2026-10-02T10:00:00+02:00,solved,"say ""hi"""\r\n`,
      ),
    ]);
    const rows = await read(content);
    expect(rows.every((r) => r.ok)).toBe(true);
    const [first, second] = rows.map((r) => (r.ok ? r.record : {}));
    expect(first).toMatchObject({
      id: '1',
      category: 'billing\r\nsecond line, with comma',
      source: 'helpdesk',
      channel: 'other',
      priority: 'normal',
    });
    expect((first!.created_at as Date).toISOString()).toBe('2026-10-01T00:00:00.000Z');
    expect((second!.created_at as Date).toISOString()).toBe('2026-10-02T08:00:00.000Z');
    expect(second!.category).toBe('say "hi"');
    // Each row's line is where it starts: the first spans lines 2–3, the second starts on 4.
    expect(rows.map((r) => [r.location.row, r.location.line])).toEqual([
      [1, 2],
      [2, 4],
    ]);
  });

  it('reads zone-less timestamps in the source zone (23:30 on 31 Oct in UTC+2 is 21:30 UTC)', async () => {
    const rows = await read('id,created_at,status\n1,2026-10-31 23:30:00,open\n', { timezone: 'Europe/Helsinki' });
    const first = rows[0]!;
    expect(first.ok && (first.record.created_at as Date).toISOString()).toBe('2026-10-31T21:30:00.000Z');
  });

  it('maps foreign headers and values', async () => {
    const rows = await read(
      'Ticket ID,Opened,State\nA-1,2026-10-01 09:00,Resolved\nA-2,2026-10-01 10:00,In Progress\n',
      {
        columns: { id: 'Ticket ID', created_at: 'Opened', status: 'State' },
        values: { status: { Resolved: 'solved', 'in progress': 'open' } },
      },
    );
    expect(rows.map((r) => r.ok && r.record.status)).toEqual(['solved', 'open']);
  });

  it('rejects rows that cannot be placed with a reason, the row number and the field; a bad optional field only costs the field', async () => {
    const rows = await read(
      [
        header,
        '1,2026-10-01T08:00:00Z,open,email,high,,60',
        '2,2026-10-01T08:00:00Z,open,email', // wrong column count
        '3,2026-02-30 10:00,open,email,high,,60', // impossible date
        '4,2026-10-01T08:00:00Z,archived,email,high,,60', // unknown status
        '5,2026-10-01T08:00:00Z,open,email,high,,-5', // negative duration: a field issue, the row is kept
        '6,,open,email,high,,60', // missing required created_at
        '7,2026-10-01T08:00:00Z,open,email,high,2026-10-01T09:00:00Z,sixty', // not a number: a field issue, the row is kept
        '8,2026-10-01T08:00:00Z,solved,chat,urgent,2026-10-01T09:00:00Z,60',
      ].join('\n'),
    );
    expect(rows).toHaveLength(8);
    expect(rows.filter((r) => r.ok).map((r) => r.ok && [r.record.id, r.record.handle_seconds, r.issues])).toEqual([
      ['1', 60, undefined],
      ['5', null, [{ field: 'handle_seconds', reason: 'out_of_range' }]],
      ['7', null, [{ field: 'handle_seconds', reason: 'bad_number' }]],
      ['8', 60, undefined],
    ]);
    expect(rejected(rows).map((r) => [r.location.row, r.reason, r.field])).toEqual([
      [2, 'column_count', null],
      [3, 'bad_timestamp', 'created_at'],
      [4, 'unknown_value', 'status'],
      [6, 'missing_required', 'created_at'],
    ]);
    expect(rejected(rows)[1]!.message).toBe(
      'export.csv line 4 (row 3): created_at: "2026-02-30 10:00" is not a timestamp',
    );
  });

  it('reads a stray quote as data, and rejects an unterminated quoted field with its line', async () => {
    const stray = await read('id,created_at,status\n1,2026-10-01,open\n2,2026"-10-01,open\n3,2026-10-02,open\n');
    expect(stray.filter((r) => r.ok).map((r) => r.ok && r.record.id)).toEqual(['1', '3']);
    expect(rejected(stray).map((r) => [r.location.row, r.reason, r.field])).toEqual([
      [2, 'bad_timestamp', 'created_at'],
    ]);
    const unterminated = await read('id,created_at,status\n1,2026-10-01,open\n2,"2026-10-01,open\n3,2026-10-02,open\n');
    // Only the line the quote opens on is lost: reading resumes on the next line (csvRecords.ts).
    expect(unterminated.filter((r) => r.ok).map((r) => r.ok && r.record.id)).toEqual(['1', '3']);
    expect(rejected(unterminated).map((r) => r.reason)).toEqual(['malformed_csv']);
    expect(rejected(unterminated)[0]!.location.line).toBe(3);
    expect(rejected(unterminated)[0]!.message).toMatch(/^export\.csv line 3: .*quote/i);
  });

  it('fails clearly on an empty file and on a missing mapped column', async () => {
    await expect(read('')).rejects.toThrow(new SourceError('export.csv: the file is empty (no header row)'));
    await expect(read('id,created_at,status\n', { columns: { created_at: 'Created_Date' } })).rejects.toThrow(
      /export\.csv: column "Created_Date" mapped to created_at is not in the header/,
    );
    await expect(read('id,status\n1,open\n')).rejects.toThrow(/required field created_at has no column/);
  });

  it('accepts a file with a header and no rows', async () => {
    expect(await read(`${header}\n`)).toEqual([]);
  });
});
