import { describe, expect, it } from 'vitest';
import { hasData, type DataSpan } from '../../functions/stages/dataSpans.ts';
import type { EntityName } from '../../functions/model/index.ts';

/** Which months hold data for a KPI: the spans of its month-partitioned sources, first to last month. */
describe('hasData', () => {
  const spans = new Map<EntityName, DataSpan>([
    ['tickets', { first: '2026-09', last: '2026-12' }],
    ['surveys', { first: '2026-11', last: '2026-12' }],
  ]);

  it('is false for months before the first record or after the last, true inside (a quiet month too)', () => {
    const tickets = { inputs: ['tickets'] as const };
    expect(hasData(tickets, spans, ['2025-11'])).toBe(false);
    expect(hasData(tickets, spans, ['2026-08'])).toBe(false);
    expect(hasData(tickets, spans, ['2026-10'])).toBe(true);
    expect(hasData(tickets, spans, ['2027-01'])).toBe(false);
    // A quarter with one month inside has data.
    expect(hasData(tickets, spans, ['2026-07', '2026-08', '2026-09'])).toBe(true);
  });

  it('counts any of a KPI’s sources: CSAT from surveys or ticket ratings', () => {
    const csat = { inputs: [] as const, anyOf: ['surveys', 'tickets'] as const };
    expect(hasData(csat, spans, ['2026-10'])).toBe(true);
    expect(hasData({ inputs: ['surveys'] as const }, spans, ['2026-10'])).toBe(false);
  });

  it('has no span for a source without rows, and bounds nothing by entities kept whole', () => {
    expect(hasData({ inputs: ['orders'] as const }, spans, ['2026-11'])).toBe(false);
    // Subscriptions carry their history in their own dates (started_on, cancelled_on).
    expect(hasData({ inputs: ['subscriptions'] as const }, spans, ['2020-01'])).toBe(true);
    // Agents are kept whole; agent time is partitioned and has no rows: no data.
    expect(hasData({ inputs: ['agents', 'agent_time'] as const }, spans, ['2026-11'])).toBe(false);
  });
});
