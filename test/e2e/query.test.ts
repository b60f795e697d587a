import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.ts';
import { loadConfig } from '../../functions/config/load.ts';
import { queryLake } from '../../functions/cli/query.ts';
import { entities } from '../../functions/model/index.ts';
import { martTables } from '../../functions/model/marts.ts';
import { analystQueries } from '../../functions/model/analystQueries.ts';
import { spillPrefix } from '../../functions/model/lakeKeys.ts';
import { captureCli } from '../support/cliOutput.ts';

/**
 * pulse query: SQL over the local lake, with the curated tables and marts under the names the Glue
 * catalog gives them (infra/lakeStack.ts), so the text an analyst writes here runs in Athena as is.
 * The lake: the golden fixture (24 tickets, Europe/Helsinki) run through extract, curate and marts.
 */
const cli = captureCli();
const io = cli.io;
let dir: string;
let file: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pulse-query-'));
  cpSync(path.resolve(import.meta.dirname, '../fixtures/golden'), dir, { recursive: true });
  file = path.join(dir, 'pulse.config.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...config, lake: './lake' }));
  const code = await main(
    ['run', '--config', file, '--period', '2026-10', '--stages', 'extract,curate,marts', '--json'],
    {
      out: () => {},
    },
  );
  expect(code).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pulse query', () => {
  it('runs a SELECT over the curated tickets and prints an aligned table with a row count', async () => {
    const sql = 'select status, count(*) as n from tickets group by status order by status';

    expect(await main(['query', '--config', file, sql], io)).toBe(0);

    const lines = cli.out().split('\n');
    expect(lines[0]).toMatch(/^status +n$/);
    expect(lines[1]).toMatch(/^-+ +-+$/);
    // Numbers are right-aligned under their header: every row ends where "n" does.
    expect(lines.slice(2, -2).every((l) => l.length === lines[0]!.length)).toBe(true);
    // tickets.csv has 24 rows: 2 rejected (T21's timestamp, T22's status), and 2 older versions
    // merged (T16's among them), as curate's log says: 24 − 2 − 2 = 20 curated tickets.
    const counts = lines.slice(2, -2).map((l) => Number(l.trim().split(/ +/)[1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(20);
    expect(cli.out()).toMatch(/\(\d rows\)\n$/);
  });

  it('registers every Glue table (entities and marts) under its catalog name', async () => {
    const loaded = await loadConfig(file);
    const names = [...entities.map((e) => e.name), ...martTables.map((m) => m.name)];
    for (const name of names) {
      await expect(queryLake(loaded, `select count(*) as n from ${name}`, '2026-10'), name).resolves.toBeDefined();
    }
  });

  it("spills under the lake's scratch, within the config's memory limit, as a run does", async () => {
    const loaded = await loadConfig(file);
    loaded.config.duckdb.memoryLimit = '300MiB';
    const sql = "select current_setting('temp_directory') as spill, current_setting('memory_limit') as limit";
    const { rows } = await queryLake(loaded, sql, '2026-10');
    expect(rows).toEqual([{ spill: path.join(dir, 'lake', spillPrefix), limit: '300.0 MiB' }]);
  });

  it('runs a named query, as CSV and as JSON, and lists the named queries', async () => {
    expect(await main(['query', '--list'], io)).toBe(0);
    for (const q of analystQueries) expect(cli.out()).toContain(q.name);
    const listed = cli.out().length;

    const named = 'pulse-first-reply-sla-by-channel';
    expect(await main(['query', '--config', file, '--named', named, '--format', 'csv'], io)).toBe(0);
    const csv = cli.out().slice(listed).trim().split('\n');
    expect(csv[0]).toBe('month,channel,tickets,replied,within_sla,mean_first_reply_hours');
    // The tickets created in October 2026 (Helsinki) across channels: the fixture's 24 less any
    // created in other months.
    const october = csv.slice(1).filter((l) => l.startsWith('2026-10,'));
    expect(october.length).toBeGreaterThan(0);

    const before = cli.out().length;
    expect(
      await main(['query', '--config', file, '--named', 'first-reply-sla-by-channel', '--format', 'json'], io),
    ).toBe(0);
    const rows = JSON.parse(cli.out().slice(before)) as { month: string; tickets: number }[];
    expect(rows.filter((r) => r.month === '2026-10').map((r) => r.tickets)).toEqual(
      october.map((l) => Number(l.split(',')[2])),
    );
  });

  it('--json: one object with the columns and rows; a bad query is ok false', async () => {
    expect(await main(['query', '--config', file, 'select 1 as one', '--json'], io)).toBe(0);
    expect(JSON.parse(cli.out())).toEqual({ ok: true, columns: ['one'], rows: [{ one: 1 }] });
  });

  it('refuses what it cannot run: no config, both a SELECT and a name, an unknown name (2)', async () => {
    expect(await main(['query', 'select 1'], io)).toBe(2);
    expect(cli.err()).toContain('pulse query needs --config <file>');
    expect(await main(['query', '--config', file, 'select 1', '--named', 'pulse-kpi-history'], io)).toBe(2);
    expect(await main(['query', '--config', file, '--named', 'nope'], io)).toBe(2);
    expect(cli.err()).toContain('no named query "nope": the named queries are pulse-trc-by-category-monthly');
  });
});
