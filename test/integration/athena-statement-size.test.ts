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
import { maxQueryBytes } from '../standins/athena/server.ts';

/**
 * Athena refuses a statement longer than 262,144 bytes, and the quota cannot be raised
 * (https://repost.aws/knowledge-center/athena-query-string-length; Athena User Guide,
 * "Service Quotas", https://docs.aws.amazon.com/athena/latest/ug/service-limits.html). Evaluate, on the demo's config
 * with its sliced audience (frontline), at the SDK boundary: every statement it sends is measured.
 */
const athena = mockClient(AthenaClient);
const sent: string[] = [];
let root = '';

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
  athena.on(GetQueryResultsCommand).resolves({ ResultSet: { Rows: [], ResultSetMetadata: { ColumnInfo: [] } } });
  const client = new AthenaClient({ region: 'eu-west-1' });
  const engine = new AthenaEngine({
    workGroup: 'pulse',
    database: 'pulse',
    lake: 's3://pulse-lake',
    client,
    clearPrefix: async () => {},
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
  await evaluate(ctx);
  await engine.close();
}, 120_000);

afterAll(() => {
  athena.restore();
  rmSync(root, { recursive: true, force: true });
});

describe('statement size on Athena', () => {
  it("keeps every statement evaluate sends for the demo (its sliced audience too) under Athena's 262,144 bytes", () => {
    const sizes = sent.map((sql) => Buffer.byteLength(sql, 'utf8'));
    const largest = Math.max(...sizes);
    console.log(`evaluate sent ${sent.length} statements; the largest is ${largest} bytes`);
    expect(largest).toBeLessThanOrEqual(maxQueryBytes);
    // The slice's kpi_monthly: its 13 months (2025-10 to 2026-10), each built by a CTAS of its own.
    const ctas = /^create table "pulse"\."pulse_scratch_\w{12}_kpi_monthly_(\d{4}_\d{2})"/;
    const months = sent.flatMap((s) => ctas.exec(s)?.[1] ?? []);
    expect(months).toHaveLength(13);
    expect([months[0], months.at(-1)]).toEqual(['2025_10', '2026_10']);
  });
});
