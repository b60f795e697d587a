import { describe, expect, it } from 'vitest';
import { UsageError } from '../../functions/errors.ts';
import { lastYearPeriod, nextMonth, parsePeriod, previousPeriod } from '../../functions/kpis/period.ts';

describe('periods', () => {
  it('parses a month, a quarter and a range of months', () => {
    expect(parsePeriod('2026-10')).toMatchObject({
      id: '2026-10',
      start: '2026-10-01',
      end: '2026-11-01',
      months: ['2026-10'],
      label: 'October 2026',
    });
    expect(parsePeriod('2026-Q3')).toMatchObject({
      id: '2026-Q3',
      months: ['2026-07', '2026-08', '2026-09'],
      end: '2026-10-01',
      label: 'Q3 2026',
    });
    expect(parsePeriod('2026-11..2027-02').months).toEqual(['2026-11', '2026-12', '2027-01', '2027-02']);
  });

  it('finds the previous period of the same length and the same months last year', () => {
    expect(previousPeriod(parsePeriod('2026-01')).id).toBe('2025-12');
    expect(previousPeriod(parsePeriod('2026-Q1')).id).toBe('2025-Q4');
    expect(previousPeriod(parsePeriod('2026-04..2026-09')).months).toEqual([
      '2025-10',
      '2025-11',
      '2025-12',
      '2026-01',
      '2026-02',
      '2026-03',
    ]);
    expect(lastYearPeriod(parsePeriod('2026-Q3')).id).toBe('2025-Q3');
    expect(nextMonth(parsePeriod('2026-12'))).toBe('2027-01');
  });

  it.each(['2026-13', '2026-Q5', '2026-09..2026-04', 'October', '2026-1'])('rejects %s as bad usage', (text) => {
    expect(() => parsePeriod(text)).toThrow(UsageError);
  });
});
