import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config/load.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { MailTransport } from '../../functions/ports/mail.ts';
import type { ObjectStore } from '../../functions/ports/objectStore.ts';
import type { QueryEngine } from '../../functions/ports/queryEngine.ts';
import { createStageContext } from '../../functions/stages/context.ts';
import { newRunId } from '../../functions/runtime/runId.ts';

/** The one context factory the CLI and the handlers share: adapters in, the same defaults out. */
describe('createStageContext', () => {
  const { config } = parseConfig(
    { lake: './lake', sources: [{ name: 'helpdesk', type: 'csv', entity: 'tickets', path: 'x.csv' }] },
    '/x/pulse.config.json',
  );
  const adapters = { store: {} as ObjectStore, engine: {} as QueryEngine, mail: {} as MailTransport, sources: [] };

  it('names the run by its start time, so runs sort by time, and never twice the same', () => {
    const now = new Date('2026-11-01T06:00:00.123Z');
    const ctx = createStageContext({ config, period: parsePeriod('2026-10'), ...adapters, now });
    expect(ctx.runId).toMatch(/^20261101T060000Z-[0-9a-f]{6}$/);
    expect(newRunId(now)).not.toBe(newRunId(now));
    expect([ctx.now, ctx.resend, ctx.reextract, ctx.force]).toEqual([now, false, false, false]);
  });

  it('keeps what the caller decides: a run id given by the state machine, --resend, --force, a log', () => {
    const lines: string[] = [];
    const ctx = createStageContext({
      config,
      period: parsePeriod('2026-10'),
      ...adapters,
      runId: 'exec-42',
      resend: true,
      force: true,
      log: (l) => void lines.push(l),
    });
    ctx.log('hello');
    expect([ctx.runId, ctx.resend, ctx.force, lines]).toEqual(['exec-42', true, true, ['hello']]);
  });
});
