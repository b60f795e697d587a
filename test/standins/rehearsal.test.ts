import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.ts';
import { freshLake } from '../support/pipelineRun.ts';
import { rehearse, type RehearsalResult } from './rehearsal.ts';

/**
 * The rehearsal on the demo company: the synthesized state machine runs every stage's Lambda
 * bundle against s3rver, the Athena stand-in and the SES stand-in, and gives the same kpis.json
 * (but generatedAt) as `pulse run` on a local lake from the same exports.
 */
const outDir = path.resolve(import.meta.dirname, '../../.tmp/rehearsal-test');
const period = '2026-10';
afterAll(() => freshLake(outDir));

/** kpis.json without the one field that says when it was written. */
function withoutGeneratedAt(report: unknown): unknown {
  const copy = structuredClone(report) as { generatedAt?: string };
  delete copy.generatedAt;
  return copy;
}

/** Why a run failed: the owners' alert (the stage and the Lambda's error) and the statements refused. */
function whyFailed(result: RehearsalResult): string {
  const alerts = result.alerts.map((a) => (a as { Message: string }).Message.slice(0, 600));
  const refused = result.statements.filter((s) => s.state !== 'SUCCEEDED').map((s) => `${s.error} in: ${s.statement.slice(0, 200)}…`);
  return [...alerts, ...refused].join('\n');
}

/** `pulse run` on a local lake (DuckDB, the outbox) from the exports the rehearsal landed. */
async function localKpis(result: RehearsalResult): Promise<unknown> {
  const config = { ...result.config, lake: './local-lake', mail: { transport: 'outbox', from: result.config.mail.from } };
  const file = path.join(outDir, 'local.pulse.config.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  const out: string[] = [];
  const code = await main(['run', '--config', file, '--period', period, '--json'], { out: (s) => void out.push(s) });
  expect(code, out.join('')).toBe(0);
  return JSON.parse(readFileSync(path.join(outDir, 'local-lake/reports', period, 'kpis.json'), 'utf8'));
}

describe('the rehearsal on the demo', () => {
  it('succeeds, delivers every report through SES, and gives the local lake kpis.json', async () => {
    // act
    const result = await rehearse({ outDir, months: 13, ticketsPerMonth: 300, period, timezone: 'Europe/Berlin' });
    // assess: the execution, the stages it passed, nothing refused by the stand-ins.
    const { execution } = result;
    expect(execution.status, whyFailed(result)).toBe('SUCCEEDED');
    expect(execution.path).toEqual([
      'Start',
      'Run extract',
      'Extract drained?',
      'Run curate',
      'Run marts',
      'Run evaluate',
      'Run render',
      'Run deliver',
      'Done',
    ]);
    expect(result.alerts).toEqual([]);
    expect(result.statements.filter((s) => s.state !== 'SUCCEEDED')).toEqual([]);
    // One message per recipient of every audience, each well formed.
    const recipients = result.config.audiences.flatMap((a) => a.recipients).sort();
    expect(result.messages.map((m) => m.destinations[0]).sort()).toEqual(recipients);
    expect(result.messages.flatMap((m) => m.problems)).toEqual([]);
    for (const message of result.messages) {
      const parsed = await simpleParser(message.raw);
      expect(parsed.subject).toContain('October 2026');
      expect(parsed.html).toBeTruthy();
    }
    // The same numbers as the laptop path.
    expect(result.kpis).toBeDefined();
    expect(withoutGeneratedAt(result.kpis)).toEqual(withoutGeneratedAt(await localKpis(result)));
  }, 1_200_000);
});
