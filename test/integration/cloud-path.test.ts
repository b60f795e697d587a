import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AthenaEngine } from '../../functions/adapters/aws/athenaEngine.ts';
import { S3Store } from '../../functions/adapters/aws/s3Store.ts';
import { trinoRules } from '../../functions/dialect/ruleDialect.ts';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { loadConfig } from '../../functions/config/load.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import { runStages } from '../../functions/stages/index.ts';
import { getJson } from '../../functions/ports/objectStore.ts';
import { generateSampleCompany } from '../../functions/sample/demoCompany.ts';
import type { LoggedStatement } from '../standins/athena/server.ts';
import { serveAthenaForTests } from '../support/athenaLocal.ts';

/**
 * The cloud path run for real: `pulse run` on an s3:// lake, S3 through s3rver and Athena through
 * the stand-in (DuckDB behind Athena's API, refusing what Athena refuses), gives the kpis.json of
 * the same run on a local lake (DuckDB), but for generatedAt. Two datasets: the golden tickets,
 * and a company with 102 months of history, past the 100 partitions one Athena write may make.
 * Every statement the stand-in received kept Athena's limits, or the run would have failed.
 */
const root = path.resolve(import.meta.dirname, '../../.tmp/cloud-path');
const now = new Date('2026-11-02T06:00:00Z');
/** The stand-in answers in milliseconds: polls start at 10 ms (Athena's first wait is sized for seconds). */
const athenaTimings = { pollFirstMs: 10, pollMaxMs: 100 };
let services: Awaited<ReturnType<typeof serveAthenaForTests>> | undefined;

beforeAll(async () => {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  services = await serveAthenaForTests('cloud-path');
}, 120_000);

afterAll(async () => {
  await services?.stop();
  rmSync(root, { recursive: true, force: true });
});

/**
 * Runs extract through evaluate as `pulse run` does (the CLI's wiring), with the config at
 * `file` and its lake replaced by `lake`, on one clock so both lakes stamp the same times.
 */
async function run(config: Record<string, unknown>, dir: string, lake: string, period: string): Promise<void> {
  const file = path.join(dir, `pulse.${lake.startsWith('s3://') ? 's3' : 'local'}.config.json`);
  writeFileSync(file, JSON.stringify({ ...config, lake }));
  const ctx = await createLocalContext(await loadConfig(file), parsePeriod(period), {
    quiet: true,
    now,
    athenaTimings,
  });
  try {
    await runStages(ctx, ['extract', 'curate', 'marts', 'evaluate']);
  } finally {
    await ctx.engine.close();
  }
}

function withoutGeneratedAt(report: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(report)) as { generatedAt?: string };
  delete copy.generatedAt;
  return copy;
}

async function sameKpisBothWays(
  config: Record<string, unknown>,
  dir: string,
  period: string,
): Promise<LoggedStatement[]> {
  const local = path.join(dir, 'lake');
  await run(config, dir, local, period);
  const lake = new S3Store('s3://pulse-lake/');
  for (const prefix of [
    'raw/',
    'rejects/',
    'state/',
    'curated/',
    'marts/',
    'reports/',
    'ledger/',
    '_scratch/',
    '_manifests/',
  ])
    await lake.deletePrefix(prefix);
  const sent = services!.athena.statements.length;
  await run(config, dir, 's3://pulse-lake/', period);
  const cloud = await getJson<unknown>(new S3Store('s3://pulse-lake/'), `reports/${period}/kpis.json`);
  const onDisk = JSON.parse(readFileSync(path.join(local, `reports/${period}/kpis.json`), 'utf8')) as unknown;
  expect(withoutGeneratedAt(cloud)).toEqual(withoutGeneratedAt(onDisk));
  return services!.athena.statements.slice(sent);
}

describe('the cloud path against the Athena stand-in', () => {
  it("reads a UTC source's ISO timestamps ending in Z, which Trino's cast to timestamp refuses", async () => {
    const engine = new AthenaEngine({ workGroup: 'pulse', database: 'pulse', lake: 's3://pulse-lake/' });
    try {
      const text = "'2026-10-05T08:00:00Z'";
      const [row] = await engine.query(
        `select ${trinoRules.wallClockOf(text)} as now_read, try_cast(replace(${text}, 'T', ' ') as timestamp) as before_read`,
      );
      expect(row).toEqual({ now_read: '2026-10-05 08:00:00.000', before_read: null });
    } finally {
      await engine.close();
    }
  });

  it('gives the golden fixture the kpis.json of a local run', async () => {
    const fixture = path.resolve(import.meta.dirname, '../fixtures/golden');
    const config = JSON.parse(readFileSync(path.join(fixture, 'pulse.config.json'), 'utf8')) as Record<string, unknown>;
    const dir = path.join(root, 'golden');
    mkdirSync(dir, { recursive: true });
    const statements = await sameKpisBothWays(
      {
        ...config,
        sources: [{ name: 'helpdesk', type: 'csv', entity: 'tickets', path: path.join(fixture, 'tickets.csv') }],
      },
      dir,
      '2026-10',
    );
    expect(statements.length).toBeGreaterThan(20);
    expect(statements.filter((s) => s.state !== 'SUCCEEDED')).toEqual([]);
  }, 300_000);

  it('gives 102 months of history the kpis.json of a local run, writing at most 100 partitions a statement', async () => {
    const dir = path.join(root, 'history');
    await generateSampleCompany({
      outDir: path.join(dir, 'exports'),
      months: 102,
      ticketsPerMonth: 12,
      seed: 20,
      endMonth: '2026-10',
      timezone: 'UTC',
    });
    // Tickets and their surveys: enough to write more than 100 months in curate and in every mart.
    const entities = ['tickets', 'surveys'];
    const config = {
      timezone: 'UTC',
      sources: entities.map((entity) => ({
        name: entity.replace(/_/g, '-'),
        type: 'csv',
        entity,
        path: `exports/${entity}.csv`,
      })),
    };
    const statements = await sameKpisBothWays(config, dir, '2026-10');
    expect(statements.filter((s) => s.state !== 'SUCCEEDED')).toEqual([]);
    // More than 100 months were written, in statements of at most 100 partitions each.
    expect(statements.filter((s) => /^\s*unload/i.test(s.statement)).length).toBeGreaterThan(1);
  }, 600_000);
});
