import type { RuleDialect } from './ruleDialect.ts';
import { sqlString } from './sqlText.ts';

/**
 * Money as exported (docs/rules.md, "Money as exported"): an amount may carry its currency as a
 * sign or an ISO 4217 code, before or after the number (`45.678,90 €`, `EUR 12.50`, `€12.50`,
 * `12.50 EUR`). The marker is read when it names the config's currency; a sign or code of another
 * currency makes the amount `currency_mismatch` (no conversion); any other letters stay `bad_number`.
 */

/** Signs as exports write them, and the ISO 4217 codes each may stand for (`$` for several dollars). */
const currencySigns: Record<string, readonly string[]> = {
  '€': ['EUR'],
  $: ['USD', 'CAD', 'AUD', 'NZD', 'SGD', 'HKD', 'MXN'],
  US$: ['USD'],
  CA$: ['CAD'],
  A$: ['AUD'],
  NZ$: ['NZD'],
  HK$: ['HKD'],
  S$: ['SGD'],
  R$: ['BRL'],
  '£': ['GBP'],
  '¥': ['JPY', 'CNY'],
  '₹': ['INR'],
  '₩': ['KRW'],
  '₽': ['RUB'],
  '₺': ['TRY'],
  '₪': ['ILS'],
  '₴': ['UAH'],
  '₱': ['PHP'],
  '฿': ['THB'],
  '₫': ['VND'],
  '₦': ['NGN'],
  zł: ['PLN'],
  Kč: ['CZK'],
  Ft: ['HUF'],
  kr: ['SEK', 'NOK', 'DKK', 'ISK'],
};

/** The ISO 4217 codes Node's ICU knows: letters that are not one of them are no currency. */
const isoCodes = Intl.supportedValuesOf('currency');

const escaped = (sign: string) => sign.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A sign (longest first, so `US$` is not read as `$`) or three letters. */
const marker = `(${Object.keys(currencySigns)
  .sort((a, b) => b.length - a.length)
  .map(escaped)
  .join('|')}|[A-Za-z]{3})`;
/** Spaces an export puts between an amount and its currency: space, no-break and narrow no-break. */
const gap = '[ \u00a0\u202f]*';
/** `€12.50`, `-€12.50`, `EUR 12.50`: groups 1 (sign), 2 (marker), 3 (the rest of the number). */
const markedBefore = `^([+-]?)${gap}${marker}${gap}(.+)$`;
/** `12.50 €`, `45.678,90 EUR`: groups 1 (the number), 2 (marker). */
const markedAfter = `^(.+?)${gap}${marker}$`;

const list = (values: readonly string[]) => `(${values.map(sqlString).join(', ')})`;

export interface AmountSql {
  /** The amount's text without its currency marker (over `t`). */
  number: string;
  /** The marker as written, null when there is none (over `t`). */
  marker: string;
  /** True when the marker (`m`, the column holding `marker`) is no currency at all: the amount is not a number. */
  unknown: (m: string) => string;
  /** True when the marker names another currency than the config's. */
  mismatch: (m: string) => string;
}

/**
 * The SQL that splits an amount's text `t` into its number and its currency marker, for a config
 * in `currency`. regexp_extract is spelt alike in DuckDB and Trino; it is only called where the
 * pattern matched (without a match DuckDB gives '' and Trino NULL).
 */
export function amountSql(t: string, currency: string, d: RuleDialect): AmountSql {
  const before = d.matches(t, markedBefore);
  const after = d.matches(t, markedAfter);
  const part = (pattern: string, group: number) => `regexp_extract(${t}, ${sqlString(pattern)}, ${group})`;
  const signs = Object.keys(currencySigns);
  const ours = signs.filter((s) => currencySigns[s]!.includes(currency));
  const codes = [...new Set([...isoCodes, currency])];
  return {
    number: `case when ${before} then ${part(markedBefore, 1)} || ${part(markedBefore, 3)} when ${after} then ${part(markedAfter, 1)} else ${t} end`,
    marker: `case when ${before} then ${part(markedBefore, 2)} when ${after} then ${part(markedAfter, 2)} end`,
    unknown: (m) => `(${m} is not null and ${m} not in ${list(signs)} and upper(${m}) not in ${list(codes)})`,
    mismatch: (m) =>
      `(${m} is not null and upper(${m}) <> ${sqlString(currency)}${ours.length > 0 ? ` and ${m} not in ${list(ours)}` : ''})`,
  };
}
