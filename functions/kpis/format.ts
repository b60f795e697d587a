import type { KpiUnit } from './types.ts';

/** Human formatting of KPI values, shared by every renderer (e-mail, text, workbook labels). */
export function formatDuration(seconds: number): string {
  const abs = Math.abs(seconds);
  if (abs < 60) return `${Math.round(seconds)} s`;
  if (abs < 3600) return `${(seconds / 60).toFixed(1)} min`;
  if (abs < 172800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

export function formatValue(unit: KpiUnit, value: number | null | undefined, currency = 'USD'): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  switch (unit) {
    case 'seconds':
      return formatDuration(value);
    case 'ratio':
      return `${(value * 100).toFixed(1)}%`;
    case 'currency':
      return new Intl.NumberFormat('en-US', {
        style: 'currency',
        currency,
        maximumFractionDigits: Math.abs(value) >= 1000 ? 0 : 2,
      }).format(value);
    case 'score':
      return value.toFixed(1);
    case 'count':
      return Number.isInteger(value)
        ? new Intl.NumberFormat('en-US').format(value)
        : new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 }).format(value);
  }
}

/** A change in the KPI's unit: ratios move in percentage points. */
export function formatChange(unit: KpiUnit, change: number | null | undefined, currency = 'USD'): string {
  if (change === null || change === undefined || Number.isNaN(change)) return '–';
  const sign = change > 0 ? '+' : change < 0 ? '−' : '±';
  if (unit === 'ratio') return `${sign}${Math.abs(change * 100).toFixed(1)} pp`;
  return `${sign}${formatValue(unit, Math.abs(change), currency)}`;
}
