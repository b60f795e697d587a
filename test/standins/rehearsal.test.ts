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
 * as `pulse run` on a local lake from the same exports (see differences()).
 */
const outDir = path.resolve(import.meta.dirname, '../../.tmp/rehearsal-test');
const period = '2026-10';
afterAll(() => freshLake(outDir));

/** Fields that say when, not what: when kpis.json was written, when each lake landed its sources (minutes apart). */
const when = new Set(['generatedAt', 'lastExtractAt']);

/**
 * Where two kpis.json differ, by path: every field but `when`, numbers to a relative 1e-9.
 * Athena's engine and the laptop's add the same doubles in another order: on the demo a history
 * value differs in its 16th digit (0.1917658438117667 against 0.19176584381176667) and
 * cost_per_ticket's changeRatio in its 12th (0.000663803851799 against 0.000663803851798).
 */
function differences(a: unknown, b: unknown, at = '$'): string[] {
  if (typeof a === 'number' && typeof b === 'number') {
    return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)) ? [] : [`${at}: ${a} ≠ ${b}`];
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return a === b ? [] : [`${at}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`];
  }
  if (Array.isArray(a) !== Array.isArray(b)) return [`${at}: an array and an object`];
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !when.has(k));
  const field = (o: object, k: string) => (o as Record<string, unknown>)[k];
  return keys.flatMap((k) => differences(field(a, k), field(b, k), `${at}.${k}`));
}

/** Why a run failed: the owners' alert (the stage and the Lambda's error) and the statements refused. */
function whyFailed(result: RehearsalResult): string {
  const alerts = result.alerts.map((a) => (a as { Message: string }).Message.slice(0, 600));
  const refused = result.statements
    .filter((s) => s.state !== 'SUCCEEDED')
    .map((s) => `${s.error} in: ${s.statement.slice(0, 200)}…`);
  return [...alerts, ...refused].join('\n');
}

/** `pulse run` on a local lake (DuckDB, the outbox) from the exports the rehearsal landed. */
async function localKpis(result: RehearsalResult): Promise<unknown> {
  const config = {
    ...result.config,
    lake: './local-lake',
    mail: { transport: 'outbox', from: result.config.mail.from },
  };
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
    // Six months keep it within the suite's time; test/integration/cloud-path.test.ts runs 102 of them.
    const result = await rehearse({ outDir, months: 6, ticketsPerMonth: 200, period, timezone: 'Europe/Berlin' });
    // assess: the execution, the stages it passed, nothing refused by the stand-ins.
    const { execution } = result;
    expect(execution.status, whyFailed(result)).toBe('SUCCEEDED');
    expect(execution.path).toEqual([
      'Start',
      // The run is named by its period (the monthly starter names it so): checked before any stage.
      'Named for its period?',
      'Run extract',
      'Extract drained?',
      'Run curate',
      'Curate drained?',
      'Run marts',
      'Marts drained?',
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
    expect(result.kpis).toBeTruthy();
    expect(differences(result.kpis, await localKpis(result))).toEqual([]);
  }, 1_200_000);
});
