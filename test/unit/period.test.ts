import { describe, expect, it } from 'vitest';
import { UsageError } from '../../functions/errors.ts';
import { lastYearPeriod, nextMonth, parsePeriod, periodAt, previousPeriod } from '../../functions/kpis/period.ts';

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

describe('a period that has not ended', () => {
  // 6 December 2026, 10:00 in Berlin (09:00 UTC).
  const now = new Date('2026-12-06T09:00:00Z');

  it('is refused, naming when it ends in the business zone, unless asked for to date', () => {
    expect(() => periodAt(parsePeriod('2026-12'), now, 'Europe/Berlin')).toThrow(UsageError);
    expect(() => periodAt(parsePeriod('2026-12'), now, 'Europe/Berlin')).toThrow(
      'period 2026-12 (December 2026) has not ended: it ends 1 Jan 2027 00:00 Europe/Berlin. ' +
        'Run it then, or pass --partial for a report to date (through 6 Dec 2026)',
    );
    // A quarter in progress likewise; one not begun even with --partial.
    expect(() => periodAt(parsePeriod('2026-Q4'), now, 'Europe/Berlin')).toThrow(/ends 1 Jan 2027 00:00/);
    expect(() => periodAt(parsePeriod('2027-01'), now, 'Europe/Berlin', true)).toThrow(
      'period 2027-01 (January 2027) has not begun: it starts 1 Jan 2027 00:00 Europe/Berlin',
    );
  });

  it('ends at local midnight: November has ended in Berlin at 23:30 UTC on 30 Nov, not in New York', () => {
    const at = new Date('2026-11-30T23:30:00Z');
    expect(periodAt(parsePeriod('2026-11'), at, 'Europe/Berlin').id).toBe('2026-11');
    expect(() => periodAt(parsePeriod('2026-11'), at, 'America/New_York')).toThrow(
      /it ends 1 Dec 2026 00:00 America\/New_York/,
    );
  });

  it('with --partial covers its start through today, and its comparisons the same number of days', () => {
    const month = periodAt(parsePeriod('2026-12'), now, 'Europe/Berlin', true);
    expect(month).toEqual({
      id: '2026-12-to-2026-12-06',
      label: 'December 2026, month to date, through 6 Dec 2026',
      start: '2026-12-01',
      end: '2026-12-07',
      months: ['2026-12'],
      partial: { through: '2026-12-06' },
    });
    // 1–6 December against 1–6 November and 1–6 December 2025.
    expect(previousPeriod(month)).toMatchObject({ start: '2026-11-01', end: '2026-11-07', months: ['2026-11'] });
    expect(previousPeriod(month).partial).toEqual({ through: '2026-11-06' });
    expect(lastYearPeriod(month)).toMatchObject({ start: '2025-12-01', end: '2025-12-07', months: ['2025-12'] });
    expect(nextMonth(month)).toBe('2027-01');
  });

  it('cuts a quarter to date by days: 67 days of Q4 against 67 of Q3 and of Q4 last year', () => {
    const quarter = periodAt(parsePeriod('2026-Q4'), now, 'Europe/Berlin', true);
    // 1 Oct → 6 Dec: 31 + 30 + 6 = 67 days.
    expect(quarter).toMatchObject({
      label: 'Q4 2026, quarter to date, through 6 Dec 2026',
      end: '2026-12-07',
      months: ['2026-10', '2026-11', '2026-12'],
    });
    // 1 Jul + 67 days = 6 Sep (31 + 31 + 5); 1 Oct 2025 + 67 days = 6 Dec 2025.
    expect(previousPeriod(quarter)).toMatchObject({ end: '2026-09-06', months: ['2026-07', '2026-08', '2026-09'] });
    expect(previousPeriod(quarter).partial).toEqual({ through: '2026-09-05' });
    expect(lastYearPeriod(quarter)).toMatchObject({ end: '2025-12-07', partial: { through: '2025-12-06' } });
  });

  it('compares 31 days of a month with the whole of a shorter one, and leaves an ended period whole', () => {
    // At noon on its last day, March is still to date; 31 days of February are all of it.
    const march = periodAt(parsePeriod('2027-03'), new Date('2027-03-31T12:00:00Z'), 'UTC', true);
    expect(march).toMatchObject({ end: '2027-04-01', partial: { through: '2027-03-31' } });
    expect(previousPeriod(march)).toEqual(parsePeriod('2027-02'));
    expect(periodAt(parsePeriod('2026-11'), now, 'Europe/Berlin', true)).toEqual(parsePeriod('2026-11'));
  });
});
