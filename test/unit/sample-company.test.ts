import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import { entities } from '../../functions/model/index.ts';
import { generateSampleCompany, type GenerateResult } from '../../functions/sample/demoCompany.ts';

const options = { months: 4, ticketsPerMonth: 1500, seed: 11, endMonth: '2026-10', timezone: 'Europe/Berlin' };
let dir: string;
let result: GenerateResult;
const read = (name: string): Record<string, string>[] =>
  parse(readFileSync(path.join(dir, `${name}.csv`)), { columns: true });

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pulse-sample-'));
  result = await generateSampleCompany({ ...options, outDir: dir });
});

describe('the sample company', () => {
  it('writes every entity with the canonical columns as its header', () => {
    for (const entity of entities) {
      const header = readFileSync(path.join(dir, `${entity.name}.csv`), 'utf8').split('\n')[0];
      expect(header).toBe(entity.columns.map((c) => c.name).join(','));
      expect(result.files[entity.name]!.rows).toBeGreaterThan(0);
    }
  });

  it('is deterministic for a seed and differs for another', async () => {
    const again = mkdtempSync(path.join(tmpdir(), 'pulse-sample-'));
    await generateSampleCompany({ ...options, outDir: again });
    const other = mkdtempSync(path.join(tmpdir(), 'pulse-sample-'));
    await generateSampleCompany({ ...options, seed: 12, outDir: other });
    for (const entity of entities) {
      expect(
        readFileSync(path.join(again, `${entity.name}.csv`)).equals(readFileSync(path.join(dir, `${entity.name}.csv`))),
      ).toBe(true);
    }
    expect(readFileSync(path.join(other, 'tickets.csv')).equals(readFileSync(path.join(dir, 'tickets.csv')))).toBe(
      false,
    );
  });

  it('has the patterns support teams see: weekday peaks, a busy month, dirty rows', () => {
    const tickets = read('tickets').filter((t) => t.id!.startsWith('T'));
    const weekday = (t: Record<string, string>) => DateTime.fromISO(t.created_at!, { zone: 'Europe/Berlin' }).weekday;
    const mondays = tickets.filter((t) => weekday(t) === 1).length;
    const saturdays = tickets.filter((t) => weekday(t) === 6).length;
    expect(mondays).toBeGreaterThan(2 * saturdays);
    const byMonth = new Map<string, number>();
    for (const t of tickets) byMonth.set(t.created_at!.slice(0, 7), (byMonth.get(t.created_at!.slice(0, 7)) ?? 0) + 1);
    // With 4 months the busy month is the second (index months − 3).
    expect(byMonth.get('2026-08')!).toBeGreaterThan(byMonth.get('2026-07')!);
    expect(result.dirtyRows).toBeGreaterThan(10);
    expect(read('tickets').some((t) => t.channel === 'fax' || t.status === 'archived')).toBe(true);
  });

  it('keeps entities consistent: churned customers open no tickets, agents work only while employed', () => {
    const customers = new Map<string, string | null>();
    for (const s of read('subscriptions')) {
      const end = s.cancelled_on || null;
      const current = customers.get(s.customer_id!);
      customers.set(
        s.customer_id!,
        current === undefined ? end : current === null || end === null ? null : end > current ? end : current,
      );
    }
    for (const t of read('tickets').filter((row) => row.customer_id)) {
      const leftOn = customers.get(t.customer_id!);
      if (leftOn) expect(t.created_at!.slice(0, 10) < leftOn).toBe(true);
    }
    const agents = new Map(read('agents').map((a) => [a.id!, a]));
    for (const row of read('agent_time')) {
      const agent = agents.get(row.agent_id!)!;
      expect(row.date! >= agent.hired_on!).toBe(true);
      if (agent.left_on) expect(row.date! < agent.left_on).toBe(true);
    }
  });
});
