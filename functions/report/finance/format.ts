import type { Display } from '../../kpis/format.ts';
import type { KpiUnit } from '../../kpis/types.ts';
import type { FinanceLine, FinanceModel } from './model.ts';

/**
 * Money as the finance e-mail prints it: one number of decimals per message, so a column lines
 * up (whole units once the total reaches 1,000, cents below); the workbook keeps every cent.
 * Numbers follow the config's locale through the reports' one Display (docs/design.md).
 */
export interface FinanceFormat {
  amount(value: number | null): string;
  /** "+$1,440"; "$0", unsigned, when it rounds to zero at the printed precision. */
  change(change: number | null): string;
  /** "+360.0%"; empty when there is no base, it passes ±1,000% or it rounds to zero. */
  changePercent(change: number | null, ratio: number | null): string;
  percent(ratio: number | null): string;
  /** A unit cost's change in the unit it is read in ("+2.5% (+$0.38)"), as the scorecard prints it. */
  unitChange(unit: KpiUnit, value: number | null, change: number | null): string;
  /** A line's amount this period, or "not measured (why)": never a 0 for what was not measured. */
  line(line: Pick<FinanceLine, 'current' | 'notMeasured'>): string;
}

export function financeFormat(model: Pick<FinanceModel, 'trc' | 'components' | 'display'>): FinanceFormat {
  const shown: Display = model.display;
  const total = Math.max(
    Math.abs(model.trc.value ?? 0),
    Math.abs((model.components.directLabour.current ?? 0) + (model.components.ledger.current ?? 0)),
  );
  const digits = total >= 1000 ? 0 : 2;
  const amount = (value: number | null) =>
    value === null || !Number.isFinite(value) ? '–' : shown.money(value, digits);
  const zero = amount(0);
  const change = (value: number | null) => {
    if (value === null || !Number.isFinite(value)) return '–';
    const size = amount(Math.abs(value));
    return size === zero ? zero : `${value > 0 ? '+' : '−'}${size}`;
  };
  return {
    amount,
    change,
    changePercent(value, ratio) {
      if (ratio === null || !Number.isFinite(ratio) || Math.abs(ratio) >= 10 || change(value) === zero) return '';
      const size = shown.decimal(Math.abs(ratio * 100), 1);
      return size === shown.decimal(0, 1) ? '' : `${ratio > 0 ? '+' : '−'}${size}%`;
    },
    percent: (ratio) => (ratio === null || !Number.isFinite(ratio) ? '–' : shown.percent(ratio, 1)),
    unitChange: (unit, value, delta) =>
      delta === null || value === null ? '–' : shown.change(unit, delta, value - delta).text,
    line: (l) => (l.notMeasured !== null ? `not measured (${l.notMeasured})` : amount(l.current)),
  };
}
