import type { FinanceLine, FinanceModel } from './model.ts';

/**
 * Money as the finance e-mail prints it: one number of decimals per message, so a column lines
 * up (whole units once the total reaches 1,000, cents below); the workbook keeps every cent.
 */
export interface FinanceFormat {
  amount(value: number | null): string;
  /** "+$1,440 (+360.0%)"; the percentage left out when there is no base or it passes ±1,000%. */
  change(change: number | null, ratio: number | null): string;
  percent(ratio: number | null): string;
  /** A line's amount this period, or "not measured (why)": never a 0 for what was not measured. */
  line(line: Pick<FinanceLine, 'current' | 'notMeasured'>): string;
}

export function percentChange(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio) || Math.abs(ratio) >= 10) return '';
  return `${ratio > 0 ? '+' : ratio < 0 ? '−' : '±'}${Math.abs(ratio * 100).toFixed(1)}%`;
}

export function financeFormat(model: Pick<FinanceModel, 'currency' | 'trc' | 'components'>): FinanceFormat {
  const total = Math.max(
    Math.abs(model.trc.value ?? 0),
    Math.abs((model.components.directLabour.current ?? 0) + (model.components.ledger.current ?? 0)),
  );
  const digits = total >= 1000 ? 0 : 2;
  const money = new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: model.currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  const amount = (value: number | null) =>
    value === null || !Number.isFinite(value) ? '–' : money.format(value).replace('-', '−');
  return {
    amount,
    change(change, ratio) {
      if (change === null) return '–';
      const sign = change > 0 ? '+' : change < 0 ? '−' : '±';
      const percent = percentChange(ratio);
      return `${sign}${amount(Math.abs(change))}${percent ? ` (${percent})` : ''}`;
    },
    line: (l) => (l.notMeasured !== null ? `not measured (${l.notMeasured})` : amount(l.current)),
    percent: (ratio) => (ratio === null || !Number.isFinite(ratio) ? '–' : `${(ratio * 100).toFixed(1)}%`),
  };
}
