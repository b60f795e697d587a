import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { parseConfig } from '../../functions/config/load.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { curate } from '../../functions/stages/curate.ts';
import { extract } from '../../functions/stages/extract.ts';

/** Rejects people can open (docs/design.md, "Bad input"): a CSV beside the NDJSON, formulas neutralised. */
const dir = path.resolve(import.meta.dirname, '../../.tmp/rejects-csv');
const open: StageContext[] = [];
let logged: string[];

async function context(): Promise<StageContext> {
  const loaded = parseConfig(
    {
      timezone: 'UTC',
      lake: './lake',
      sources: [
        {
          name: 'desk',
          type: 'csv',
          entity: 'tickets',
          path: 'exports/*.csv',
          columns: { id: 'Ticket', created_at: 'Opened', status: 'State' },
        },
      ],
    },
    path.join(dir, 'pulse.config.json'),
  );
  const ctx = await createLocalContext(loaded, parsePeriod('2026-10'), {
    quiet: true,
    now: new Date('2026-11-02T06:00:00Z'),
  });
  ctx.log = (line) => void logged.push(line);
  open.push(ctx);
  return ctx;
}

beforeEach(() => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'exports'), { recursive: true });
  logged = [];
});

afterEach(async () => {
  for (const ctx of open.splice(0)) await ctx.engine.close();
});

describe('rejects as CSV', () => {
  it('writes the rejected rows with their original columns, file, line, field, reason and message; a formula stays text', async () => {
    writeFileSync(
      path.join(dir, 'exports', 'tickets.csv'),
      [
        'Ticket,Opened,State,Subject',
        'T1,2026-10-01T09:00:00Z,open,fine',
        'T2,yesterday,open,"=HYPERLINK(""x"")"',
        'T3,2026-10-03T09:00:00Z,,no state',
        'T4,2026-10-04T09:00:00Z,solved,fine',
        '',
      ].join('\n'),
    );
    const ctx = await context();

    await extract(ctx);
    const [summary] = (await curate(ctx)).flatMap((c) => c.sources);

    expect(summary).toMatchObject({ rowsRead: 4, rowsAccepted: 2, rowsRejected: 2 });
    expect(summary!.rejectsCsvKeys).toEqual([
      expect.stringMatching(/^rejects\/tickets\/source=desk\/ingest_date=2026-11-02\/[^/]+\.csv$/),
    ]);
    const bytes = readFileSync(ctx.store.locate(summary!.rejectsCsvKeys[0]!));
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(bytes, { bom: true }) as string[][];
    expect(rows[0]).toEqual(['Ticket', 'Opened', 'State', 'Subject', 'file', 'line', 'field', 'reason', 'message']);
    expect(rows).toHaveLength(3);
    const [, formula, missing] = rows;
    expect(formula!.slice(0, 8)).toEqual([
      'T2',
      'yesterday',
      'open',
      `'=HYPERLINK("x")`,
      'exports/tickets.csv',
      '3',
      'created_at',
      'bad_timestamp',
    ]);
    expect(missing!.slice(0, 7)).toEqual([
      'T3',
      '2026-10-03T09:00:00Z',
      '',
      'no state',
      'exports/tickets.csv',
      '4',
      'status',
    ]);
    expect(missing![8]).toMatch(/^exports\/tickets\.csv line 4/);
    const line = logged.find((l) => l.startsWith('curate desk (tickets):'));
    expect(line).toContain(
      `4 read, 2 accepted, 2 rejected; rejects in ${ctx.store.locate(summary!.rejectsCsvKeys[0]!)} (`,
    );
    expect(line).toMatch(/\(bad_timestamp 1, missing_required 1\)$/);
  });

  it('writes no CSV for a source without rejects', async () => {
    writeFileSync(path.join(dir, 'exports', 'tickets.csv'), 'Ticket,Opened,State\nT1,2026-10-01T09:00:00Z,open\n');
    const ctx = await context();

    await extract(ctx);
    const [summary] = (await curate(ctx)).flatMap((c) => c.sources);

    expect(summary!.rejectsCsvKeys).toEqual([]);
    expect(await ctx.store.list('rejects/')).toEqual([]);
    expect(logged.find((l) => l.startsWith('curate desk (tickets):'))).toBe(
      'curate desk (tickets): 1 read, 1 accepted, 0 rejected',
    );
  });
});
