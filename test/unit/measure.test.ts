import { describe, expect, it } from 'vitest';
import { readSql } from '../../functions/dialect/sqlText.ts';
import { kpiById, kpiCatalog } from '../../functions/kpis/catalog.ts';
import {
  emptyMeasure,
  kpiKind,
  measureQueries,
  measureRow,
  storedMeasureRow,
  toMeasurements,
} from '../../functions/kpis/measure.ts';
import type { MeasureRow } from '../../functions/kpis/measure.ts';

describe('toMeasurements: rows of the KPI queries → measures', () => {
  it('reads a duration row by its p50, a rate as numerator ÷ denominator, a count by its numerator', () => {
    // prepare
    const rows: MeasureRow[] = [
      {
        kpi: 'first_reply_time',
        dimension: '',
        member: '',
        kind: 'duration',
        p50: 5400,
        p90: 79200,
        mean: 19450,
        n: 12,
      },
      { kpi: 'replied_within_24h_rate', dimension: '', member: '', kind: 'ratio', numerator: 6, denominator: 8 },
      { kpi: 'tickets_created', dimension: '', member: '', kind: 'ratio', numerator: 8, denominator: null },
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
      { kpi: 'order_entry_accuracy', dimension: '', member: '', kind: 'ratio', numerator: null, denominator: 0 },
      { kpi: 'solved_per_agent', dimension: 'agent', member: 'b1', kind: 'ratio', numerator: 0, denominator: null },
    ]);
    expect(measures.get('order_entry_accuracy')?.headline).toEqual({ value: null, numerator: 0, denominator: 0, n: 0 });
    expect(measures.get('solved_per_agent')?.breakdowns.agent?.b1?.value).toBe(0); // an agent who solved nothing
  });

  it('names weekdays (ISO 1 = Monday), null members "unknown", and leaves a KPI without a headline row at null', () => {
    const measures = toMeasurements([
      { kpi: 'tickets_created', dimension: 'weekday', member: 1, kind: 'ratio', numerator: 4, denominator: null },
      { kpi: 'tickets_created', dimension: 'weekday', member: '7', kind: 'ratio', numerator: 2, denominator: null },
      { kpi: 'tickets_created', dimension: 'channel', member: null, kind: 'ratio', numerator: 1, denominator: null },
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

describe('measure rows: a duration or a ratio, told apart by their kind alone', () => {
  it('reads a kpi_monthly row by its kind, never by which columns are null', () => {
    // kpi_monthly holds every column on every row. A duration month with nothing measured has
    // p50 null and n 0; a total has n null. Read by p50 (the history before a3065f5) the first
    // was a total of 0; read by n it would be right but a total with n filled would not be.
    const stored = [
      { kpi: 'first_reply_time', dimension: '', member: '', kind: 'duration', numerator: null, denominator: null },
      { kpi: 'tickets_created', dimension: '', member: '', kind: 'ratio', numerator: 8, denominator: null },
      { kpi: 'csat', dimension: '', member: '', kind: 'ratio', numerator: 3, denominator: 4, p50: 9, n: 4 },
    ].map((r) => ({ p50: null, p90: null, mean: null, n: 0, ...r }));

    const measures = toMeasurements(stored.map(storedMeasureRow));

    expect(measures.get('first_reply_time')?.headline).toEqual({ value: null, p50: null, p90: null, mean: null, n: 0 });
    expect(measures.get('tickets_created')?.headline).toEqual({ value: 8, numerator: 8, denominator: null, n: 8 });
    expect(measures.get('csat')?.headline).toEqual({ value: 0.75, numerator: 3, denominator: 4, n: 4 }); // 3 ÷ 4
  });

  it('reads a query row by the kind its query declares, whatever columns it has', () => {
    const row = { kpi: 'x', dimension: '', member: '', numerator: 2, denominator: 4, p50: 60, p90: 90, mean: 70, n: 5 };
    expect(measureRow('ratio', row)).toEqual({
      kpi: 'x',
      dimension: '',
      member: '',
      kind: 'ratio',
      numerator: 2,
      denominator: 4,
    });
    expect(measureRow('duration', row)).toEqual({
      kpi: 'x',
      dimension: '',
      member: '',
      kind: 'duration',
      p50: 60,
      p90: 90,
      mean: 70,
      n: 5,
    });
  });

  it('refuses a kpi_monthly row of no known kind rather than guess', () => {
    expect(() => storedMeasureRow({ kpi: 'x', dimension: '', member: '', kind: null, p50: 1, n: 1 })).toThrow(
      /no known kind/,
    );
  });

  it('gives each catalog KPI the kind of the one query that measures it', () => {
    // A KPI in seconds is measured by durations.sql alone; every other KPI of sql/kpis/ by a ratio query.
    const named = (file: string, id: string) => readSql(file).includes(`'${id}'`);
    for (const definition of kpiCatalog.filter((d) => !d.computedBy)) {
      const kinds = measureQueries.filter((q) => named(q.file, definition.id)).map((q) => q.kind);
      expect(new Set(kinds), definition.id).toEqual(new Set([kpiKind(definition)]));
    }
  });
});
