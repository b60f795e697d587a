import { canonicalLabels } from '../model/labels.ts';
import type { KpiUnit } from './types.ts';

/**
 * How every report prints numbers, months and codes (docs/design.md, "Formatting and labels"):
 * one `Display` per message, made from the config's currency, `locale` and `labels`. Numbers
 * follow the locale (4,242 · 4.242 · 4 242); the words around them stay English, so months are
 * "Nov 2026" in every locale, as on the charts' axes, and a day "6 Dec 2026" ("Dec 6, 2026" in en-US).
 */
export interface DisplayOptions {
  /** ISO 4217, e.g. EUR. */
  currency: string;
  /** BCP 47 tag, e.g. de-DE; default: the currency's usual locale (defaultLocale). */
  locale?: string | undefined;
  /** code → words, over the canonical labels (functions/model/labels.ts). */
  labels?: Readonly<Record<string, string>> | undefined;
}

/** What a renderer's audience options carry from the config (functions/stages/render.ts passes them). */
export type DisplayChoices = Omit<DisplayOptions, 'currency'>;

/** A change as a report prints it. */
export interface Change {
  /** Signed: "+1.2 pp", "−23.5 points", "+12% (+340)"; unsigned when it rounds to zero ("0.0 pp"). */
  text: string;
  /** Unsigned, for a sentence that says rose or fell: "1.2 pp", "23.5 points", "12%". */
  size: string;
  /** The sign as printed: null when the change rounds to zero, so it gets no arrow and no colour. */
  direction: 1 | -1 | null;
}

export interface Display {
  readonly locale: string;
  readonly currency: string;
  /** A KPI value in its unit; "–" for no value, never 0. */
  value(unit: KpiUnit, value: number | null | undefined): string;
  /**
   * A change in the unit it is read in: ratios in percentage points, scores in points, counts,
   * money and durations in percent of `base` and in the unit ("+12% (+340)"; the percent is left
   * out when there is no base, it passes ±1,000% or it rounds to zero).
   */
  change(unit: KpiUnit, change: number | null | undefined, base?: number | null): Change;
  count(value: number): string;
  /** A plain number with `digits` decimals, e.g. a margin of error. */
  decimal(value: number, digits: number): string;
  /** Money with cents below 1,000 and whole units from 1,000, or with `digits` decimals (a column that lines up). */
  money(value: number, digits?: number): string;
  /** A ratio as a percentage, e.g. 0.756 → 75.6%. */
  percent(ratio: number, digits?: number): string;
  duration(seconds: number): string;
  /** YYYY-MM → "Nov 2026". */
  month(month: string): string;
  /** YYYY-MM-DD → "Dec 6, 2026" (en-US) or "6 Dec 2026". */
  day(date: string): string;
  /** A canonical code (mid_market, labor, channel) in words; any other value as it is. */
  label(code: string): string;
}

/**
 * The locale a currency's reports default to: where most of its readers are (EUR → de-DE, the
 * largest euro economy). A currency not listed reads as en-US; set `locale` to choose.
 */
const currencyLocales: Readonly<Record<string, string>> = {
  USD: 'en-US',
  EUR: 'de-DE',
  GBP: 'en-GB',
  CHF: 'de-CH',
  CAD: 'en-CA',
  AUD: 'en-AU',
  NZD: 'en-NZ',
  JPY: 'ja-JP',
  CNY: 'zh-CN',
  INR: 'en-IN',
  SGD: 'en-SG',
  HKD: 'en-HK',
  ZAR: 'en-ZA',
  SEK: 'sv-SE',
  NOK: 'nb-NO',
  DKK: 'da-DK',
  PLN: 'pl-PL',
  CZK: 'cs-CZ',
  HUF: 'hu-HU',
  BRL: 'pt-BR',
  MXN: 'es-MX',
};

export function defaultLocale(currency: string): string {
  return currencyLocales[currency] ?? 'en-US';
}

/** Whether Intl knows the tag well enough to format numbers in it (config validation). */
export function isLocale(tag: string): boolean {
  try {
    return Intl.NumberFormat.supportedLocalesOf([tag]).length === 1;
  } catch {
    return false;
  }
}

// U+2212 MINUS SIGN: the typographic minus, as wide as the plus beside it.
const minus = (text: string) => text.replace(/-/g, '−');
// A printed number is zero when no digit but 0 is left after rounding (Latin digits are forced).
const isZeroText = (text: string) => !/[1-9]/.test(text);

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function display(options: DisplayOptions): Display {
  const locale = options.locale ?? defaultLocale(options.currency);
  const { currency } = options;
  const labels = options.labels ?? {};
  type Sign = 'negative' | 'exceptZero';
  const numbers = new Map<string, Intl.NumberFormat>();
  const numberFormat = (key: string, opts: Intl.NumberFormatOptions) => {
    let format = numbers.get(key);
    if (!format) numbers.set(key, (format = new Intl.NumberFormat(locale, { numberingSystem: 'latn', ...opts })));
    return format;
  };
  const fixed = (value: number, digits: number, sign: Sign = 'negative') =>
    minus(
      numberFormat(`f${digits}${sign}`, {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
        signDisplay: sign,
      }).format(value),
    );
  const count = (value: number, sign: Sign = 'negative') =>
    minus(
      numberFormat(`c${Number.isInteger(value)}${sign}`, {
        maximumFractionDigits: Number.isInteger(value) ? 0 : 2,
        signDisplay: sign,
      }).format(value),
    );
  // Whole units once an amount reaches 1,000, cents below: a headline needs no cents of thousands.
  const money = (value: number, sign: Sign = 'negative', fixedDigits?: number) => {
    const digits = fixedDigits ?? (Math.abs(value) >= 1000 ? 0 : 2);
    return minus(
      numberFormat(`m${digits}${sign}`, {
        style: 'currency',
        currency,
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
        signDisplay: sign,
      }).format(value),
    );
  };
  const percent = (ratio: number, digits = 1, sign: Sign = 'negative') =>
    minus(
      numberFormat(`p${digits}${sign}`, {
        style: 'percent',
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
        signDisplay: sign,
      }).format(ratio),
    );
  // The largest unit that keeps the number readable: a day still reads in hours, up to 48 h. Each
  // unit ends where its number would round up to the next one ("60 s", "60.0 min").
  const duration = (seconds: number, sign: Sign = 'negative') => {
    const abs = Math.abs(seconds);
    if (abs < 59.5) return `${fixed(seconds, 0, sign)} s`;
    if (abs < 59.95 * 60) return `${fixed(seconds / 60, 1, sign)} min`;
    if (abs < 47.95 * 3600) return `${fixed(seconds / 3600, 1, sign)} h`;
    return `${fixed(seconds / 86400, 1, sign)} d`;
  };
  const inUnit = (unit: KpiUnit, value: number, sign: Sign = 'negative'): string => {
    switch (unit) {
      case 'seconds':
        return duration(value, sign);
      case 'ratio':
        return percent(value, 1, sign);
      case 'pp':
        return `${fixed(value * 100, 1, sign)} pp`;
      case 'currency':
        return money(value, sign);
      case 'score':
        return fixed(value, 1, sign);
      case 'count':
        return count(value, sign);
    }
  };
  // The order of day, month and year is the locale's when it is an English one, else en-GB's.
  const dateLocale = new Intl.Locale(locale).language === 'en' ? locale : 'en-GB';
  const dayParts = new Intl.DateTimeFormat(dateLocale, { day: 'numeric', month: 'short', year: 'numeric' });
  const monthWord = (month: string) => months[Number(month.slice(5, 7)) - 1] ?? month.slice(5, 7);
  const day = (date: string) =>
    dayParts
      .formatToParts(new Date(Date.UTC(2000, 0, 1)))
      .map((p) =>
        p.type === 'day'
          ? String(Number(date.slice(8, 10)))
          : p.type === 'month'
            ? monthWord(date)
            : p.type === 'year'
              ? date.slice(0, 4)
              : p.value.replace(/\./g, ''),
      )
      .join('');

  function change(unit: KpiUnit, value: number | null | undefined, base?: number | null): Change {
    if (value === null || value === undefined || !Number.isFinite(value))
      return { text: '–', size: '–', direction: null };
    if (unit === 'ratio' || unit === 'pp' || unit === 'score') {
      const points = unit === 'score' ? value : value * 100;
      const word = unit === 'score' ? 'points' : 'pp';
      const text = `${fixed(points, 1, 'exceptZero')} ${word}`;
      const zero = isZeroText(text);
      return { text, size: `${fixed(Math.abs(points), 1)} ${word}`, direction: zero ? null : value > 0 ? 1 : -1 };
    }
    const absolute = inUnit(unit, value, 'exceptZero');
    if (isZeroText(absolute)) return { text: inUnit(unit, 0), size: inUnit(unit, 0), direction: null };
    const ratio = base === null || base === undefined || base === 0 ? null : value / Math.abs(base);
    const digits = ratio !== null && Math.abs(ratio) >= 0.0995 ? 0 : 1;
    const relative =
      ratio === null || !Number.isFinite(ratio) || Math.abs(ratio) >= 10 ? null : percent(ratio, digits, 'exceptZero');
    const shown = relative !== null && !isZeroText(relative) ? relative : null;
    return {
      text: shown ? `${shown} (${absolute})` : absolute,
      size: shown ? percent(Math.abs(ratio!), digits) : inUnit(unit, Math.abs(value)),
      direction: value > 0 ? 1 : -1,
    };
  }

  return {
    locale,
    currency,
    value: (unit, value) =>
      value === null || value === undefined || !Number.isFinite(value) ? '–' : inUnit(unit, value),
    change,
    count: (value) => count(value),
    decimal: (value, digits) => fixed(value, digits),
    money: (value, digits) => money(value, 'negative', digits),
    percent: (ratio, digits = 1) => percent(ratio, digits),
    duration: (seconds) => duration(seconds),
    month: (month) => `${monthWord(month)} ${month.slice(0, 4)}`,
    day,
    label: (code) =>
      Object.hasOwn(labels, code)
        ? labels[code]!
        : Object.hasOwn(canonicalLabels, code)
          ? canonicalLabels[code]!
          : code,
  };
}

/** A duration in the largest unit that keeps it readable, in en-US (tests, logs). */
export function formatDuration(seconds: number): string {
  return display({ currency: 'USD' }).duration(seconds);
}
