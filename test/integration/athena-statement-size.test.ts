import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AthenaEngine } from '../../functions/adapters/aws/athenaEngine.ts';
import { FolderStore } from '../../functions/adapters/local/folderStore.ts';
import { writeDemoConfig } from '../../functions/cli/demo.ts';
import { createSources } from '../../functions/cli/wiring.ts';
import { loadConfig } from '../../functions/config/load.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import { createStageContext } from '../../functions/stages/context.ts';
import { evaluate } from '../../functions/stages/evaluate.ts';
import { buildMarts } from '../../functions/stages/marts.ts';
import { maxQueryBytes } from '../standins/athena/server.ts';
import { memoryManifests } from '../support/memoryManifests.ts';

/**
 * Athena refuses a statement longer than 262,144 bytes, and the quota cannot be raised
 * (https://repost.aws/knowledge-center/athena-query-string-length; Athena User Guide,
 * "Service Quotas", https://docs.aws.amazon.com/athena/latest/ug/service-limits.html). The marts
 * stage and evaluate, on the demo's config with its sliced audience (frontline), at the SDK
 * boundary: every statement they send is measured. Athena answers that the lake holds 2026-10.
 */
const athena = mockClient(AthenaClient);
const sent: string[] = [];
let martsSent = 0;
let root = '';

/** October 2026 for the marts stage's question of which months the curated rows hold; else no rows. */
function resultsFor(sql: string) {
  const held = /select distinct month from \(select distinct month from/.test(sql);
  const column = [{ Name: 'month', Type: 'varchar' }];
  const rows = held ? [{ Data: [{ VarCharValue: 'month' }] }, { Data: [{ VarCharValue: '2026-10' }] }] : [];
  return { ResultSet: { Rows: rows, ResultSetMetadata: { ColumnInfo: held ? column : [] } } };
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'pulse-statement-size-'));
  const loaded = await loadConfig(await writeDemoConfig(root, 'Europe/Berlin'));
  athena.on(StartQueryExecutionCommand).callsFake((input: { QueryString: string }) => {
    sent.push(input.QueryString);
    return { QueryExecutionId: `q${sent.length}` };
  });
  athena.on(GetQueryExecutionCommand).callsFake((input: { QueryExecutionId: string }) => ({
    QueryExecution: { QueryExecutionId: input.QueryExecutionId, StatementType: 'DML', Status: { State: 'SUCCEEDED' } },
  }));
  athena
    .on(GetQueryResultsCommand)
    .callsFake((input: { QueryExecutionId: string }) => resultsFor(sent[Number(input.QueryExecutionId.slice(1)) - 1]!));
  const client = new AthenaClient({ region: 'eu-west-1' });
  const engine = new AthenaEngine({
    workGroup: 'pulse',
    database: 'pulse',
    lake: 's3://pulse-lake',
    client,
    clearPrefix: async () => {},
    manifests: memoryManifests().store,
  });
  const store = new FolderStore(path.join(root, 'lake'));
  const ctx = createStageContext({
    config: loaded.config,
    period: parsePeriod('2026-10'),
    store,
    engine,
    mail: { send: async () => ({ messageId: 'x' }) } as never,
    sources: createSources(loaded),
    now: new Date('2026-11-02T06:00:00Z'),
  });
  await buildMarts(ctx);
  martsSent = sent.length;
  await evaluate(ctx);
  await engine.close();
}, 120_000);

afterAll(() => {
  athena.restore();
  rmSync(root, { recursive: true, force: true });
});

describe('statement size on Athena', () => {
  it("keeps every statement the marts stage and evaluate send for the demo (its slice too) under Athena's 262,144 bytes", () => {
    const sizes = sent.map((sql) => Buffer.byteLength(sql, 'utf8'));
    const largest = Math.max(...sizes);
    console.log(`marts and evaluate sent ${sent.length} statements; the largest is ${largest} bytes`);
    expect(largest).toBeLessThanOrEqual(maxQueryBytes);
    // The slice's kpi_monthly rows of October: measured over its records by CTAS in the marts
    // stage, written with the lake's rows by one UNLOAD. Evaluate makes no table: it reads the rows.
    const ctas = /^create table "pulse"\."pulse_scratch_\w{12}_kpi_monthly_slice_0"/;
    const sliced = sent.slice(0, martsSent).filter((s) => ctas.test(s));
    expect(sliced.length).toBeGreaterThan(0);
    for (const sql of sliced) expect(sql).toContain("'team=frontline' as slice");
    // One UNLOAD into a write prefix of kpi_monthly's own, committed by its manifests.
    expect(sent.filter((s) => /to 's3:\/\/pulse-lake\/marts\/kpi_monthly\/w=[0-9a-f]{12}\/'/.test(s))).toHaveLength(1);
    expect(sent.slice(martsSent).filter((s) => s.startsWith('create table'))).toEqual([]);
  });

  it("writes each breakdown mart's slice rows with the lake's: a CTAS over the slice's records, then one UNLOAD of both", () => {
    const marts = sent.slice(0, martsSent);
    for (const mart of ['tickets_created', 'trc', 'ticket_speed', 'agent_month', 'customer_month']) {
      const ctas = new RegExp(`^create table "pulse"\\."(pulse_scratch_\\w{12}_${mart}_slice_0)"`);
      const made = marts.filter((s) => ctas.test(s));
      expect(made, mart).toHaveLength(1);
      expect(made[0], mart).toContain("'team=frontline' as slice");
      const table = ctas.exec(made[0]!)![1]!;
      // Into a write prefix of its own, which the month's manifest names once committed.
      const into = new RegExp(`to 's3://pulse-lake/marts/${mart}/w=[0-9a-f]{12}/'`);
      const unloads = marts.filter((s) => s.startsWith('unload (') && into.test(s));
      expect(unloads, mart).toHaveLength(1);
      expect(unloads[0], mart).toContain("'' as slice");
      expect(unloads[0], mart).toContain(`select * from "pulse"."${table}"`);
    }
    // Evaluate reads the slice's rows of the stored marts: a filter, no mart computed anew.
    const evaluated = sent.slice(martsSent);
    expect(evaluated.some((s) => s.includes('from "pulse"."volume_daily" where slice = \'team=frontline\''))).toBe(
      true,
    );
    expect(evaluated.some((s) => s.includes('from "pulse"."volume_daily" where slice = \'\''))).toBe(true);
  });
});
