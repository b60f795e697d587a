import { describe, expect, it } from 'vitest';
import { formatChange, formatDuration, formatValue } from '../../functions/kpis/format.ts';

describe('formatDuration: the largest unit that keeps the number readable', () => {
  it.each([
    [45, '45 s'],
    [90, '1.5 min'], // 90 ÷ 60
    [5400, '1.5 h'], // 5400 ÷ 3600
    [86400, '24.0 h'], // a day still reads in hours, up to 48 h
    [172800, '2.0 d'], // 48 h: from here in days
    [-90, '-1.5 min'],
  ])('%s s → %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('formatValue by unit', () => {
  it('shows a dash for no value, never 0', () => {
    for (const value of [null, undefined, Number.NaN]) expect(formatValue('ratio', value)).toBe('–');
  });

  it('ratios as percentages, scores with one decimal, counts grouped', () => {
    expect(formatValue('ratio', 0.756)).toBe('75.6%');
    expect(formatValue('score', 25)).toBe('25.0');
    expect(formatValue('count', 1234)).toBe('1,234');
    expect(formatValue('count', 2 / 3)).toBe('0.67'); // replies per solved ticket, solved per agent
    expect(formatValue('seconds', 5400)).toBe('1.5 h');
  });

  it('currency with cents below 1000, whole units from 1000, in the configured currency', () => {
    expect(formatValue('currency', 625)).toBe('$625.00');
    expect(formatValue('currency', 2500)).toBe('$2,500');
    expect(formatValue('currency', -12.5, 'EUR')).toBe('-€12.50');
  });
});

describe('formatChange: signed, in the KPI unit; ratios in percentage points', () => {
  it.each([
    ['ratio', -0.08, '−8.0 pp'], // 0.62 − 0.70
    ['ratio', 0, '±0.0 pp'],
    ['seconds', 1800, '+30.0 min'],
    ['currency', -2500, '−$2,500'],
    ['count', 3, '+3'],
  ] as const)('%s %s → %s', (unit, change, text) => {
    expect(formatChange(unit, change)).toBe(text);
  });

  it('shows a dash when there is no change to show', () => {
    expect(formatChange('count', null)).toBe('–');
  });
});
