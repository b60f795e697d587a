import { describe, expect, it } from 'vitest';
import { kpiById } from '../../functions/kpis/catalog.ts';
import { emptyMeasure, toMeasurements } from '../../functions/kpis/measure.ts';
import type { Row } from '../../functions/ports/queryEngine.ts';

describe('toMeasurements: rows of the KPI queries → measures', () => {
  it('reads a duration row by its p50, a rate as numerator ÷ denominator, a count by its numerator', () => {
    // prepare
    const rows: Row[] = [
      { kpi: 'first_reply_time', dimension: '', member: '', p50: 5400, p90: 79200, mean: 19450, n: 12 },
      { kpi: 'replied_within_24h_rate', dimension: '', member: '', numerator: 6, denominator: 8 },
      { kpi: 'tickets_created', dimension: '', member: '', numerator: 8, denominator: null },
    ];

    // act
    const measures = toMeasurements(rows);

    // assess
    expect(measures.get('first_reply_time')?.headline).toEqual({
      value: 5400,
      p50: 5400,
      p90: 79200,
      mean: 19450,
      n: 12,
    });
    expect(measures.get('replied_within_24h_rate')?.headline).toEqual({
      value: 0.75,
      numerator: 6,
      denominator: 8,
      n: 8,
    }); // 6 ÷ 8
    expect(measures.get('tickets_created')?.headline).toEqual({ value: 8, numerator: 8, denominator: null, n: 8 });
  });

  it('gives a rate with a 0 denominator no value, never 0 or its numerator; a null numerator counts 0', () => {
    const measures = toMeasurements([
      { kpi: 'order_entry_accuracy', dimension: '', member: '', numerator: null, denominator: 0 },
      { kpi: 'solved_per_agent', dimension: 'agent', member: 'b1', numerator: 0, denominator: null },
    ]);
    expect(measures.get('order_entry_accuracy')?.headline).toEqual({ value: null, numerator: 0, denominator: 0, n: 0 });
    expect(measures.get('solved_per_agent')?.breakdowns.agent?.b1?.value).toBe(0); // an agent who solved nothing
  });

  it('names weekdays (ISO 1 = Monday), null members "unknown", and leaves a KPI without a headline row at null', () => {
    const measures = toMeasurements([
      { kpi: 'tickets_created', dimension: 'weekday', member: 1, numerator: 4, denominator: null },
      { kpi: 'tickets_created', dimension: 'weekday', member: '7', numerator: 2, denominator: null },
      { kpi: 'tickets_created', dimension: 'channel', member: null, numerator: 1, denominator: null },
    ]);
    const created = measures.get('tickets_created')!;
    expect(Object.keys(created.breakdowns.weekday ?? {})).toEqual(['Mon', 'Sun']);
    expect(created.breakdowns.channel?.unknown?.value).toBe(1);
    expect(created.headline).toEqual({ value: null, n: 0 });
  });
});

describe('emptyMeasure: a KPI with a source and nothing in the period', () => {
  it('is 0 for a total, no value for a rate or a duration', () => {
    expect(emptyMeasure(kpiById('tickets_created')!).headline).toEqual({
      value: 0,
      numerator: 0,
      denominator: null,
      n: 0,
    });
    expect(emptyMeasure(kpiById('first_reply_time')!).headline).toEqual({
      value: null,
      p50: null,
      p90: null,
      mean: null,
      n: 0,
    });
    expect(emptyMeasure(kpiById('csat')!).headline).toEqual({ value: null, numerator: 0, denominator: 0, n: 0 });
  });
});
