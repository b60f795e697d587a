import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config/load.ts';
import { ConfigError } from '../../functions/errors.ts';
import { defaultLocale, display, formatDuration } from '../../functions/kpis/format.ts';
import type { KpiUnit } from '../../functions/kpis/types.ts';
import { costCategories } from '../../functions/model/costs.ts';
import { ticketChannels, ticketPriorities, ticketStatuses } from '../../functions/model/tickets.ts';

/** Intl puts a no-break space between a number and its € or %: compared here as a space. */
const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ');

const us = display({ currency: 'USD', locale: 'en-US' });
const gb = display({ currency: 'GBP', locale: 'en-GB' });
const de = display({ currency: 'EUR', locale: 'de-DE' });

describe('formatDuration: the largest unit that keeps the number readable', () => {
  it.each([
    [45, '45 s'],
    [90, '1.5 min'], // 90 ÷ 60
    [5400, '1.5 h'], // 5400 ÷ 3600
    [86400, '24.0 h'], // a day still reads in hours, up to 48 h
    [172800, '2.0 d'], // 48 h: from here in days
    [-90, '−1.5 min'],
    [59.7, '1.0 min'], // would round to "60 s": shown in the next unit up
    [3598, '1.0 h'], // 59.97 min would print "60.0 min"
    [172700, '2.0 d'], // 47.97 h would print "48.0 h"
  ])('%s s → %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('values in the locale', () => {
  it('shows a dash for no value, never 0', () => {
    for (const value of [null, undefined, Number.NaN]) expect(us.value('ratio', value)).toBe('–');
  });

  it('en-US: ratios as percentages, scores with one decimal, counts grouped', () => {
    expect(us.value('ratio', 0.756)).toBe('75.6%');
    expect(us.value('score', 25)).toBe('25.0');
    expect(us.value('count', 4242)).toBe('4,242');
    expect(us.value('count', 2 / 3)).toBe('0.67'); // replies per solved ticket, solved per agent
    expect(us.value('seconds', 5400)).toBe('1.5 h');
    expect(us.count(44299)).toBe('44,299');
  });

  it('money: cents below 1,000, whole units from 1,000, a true minus', () => {
    expect(us.value('currency', 625)).toBe('$625.00');
    expect(us.value('currency', 2500)).toBe('$2,500');
    expect(display({ currency: 'EUR', locale: 'en-US' }).value('currency', -12.5)).toBe('−€12.50');
    expect(gb.money(45678.9)).toBe('£45,679');
    expect(plain(de.money(45678.9))).toBe('45.679 €');
    expect(plain(de.money(-3735))).toBe('−3.735 €');
  });

  it('de-DE groups with points and writes decimals with a comma; en-GB as en-US', () => {
    expect(de.count(4242)).toBe('4.242');
    expect(plain(de.value('ratio', 0.756))).toBe('75,6 %');
    expect(de.value('seconds', 5400)).toBe('1,5 h');
    expect(de.value('score', 41.7)).toBe('41,7');
    expect(gb.count(4242)).toBe('4,242');
    expect(gb.value('ratio', 0.756)).toBe('75.6%');
  });

  it('months as "Nov 2026" in every locale; a day in the order of an English locale, else en-GB', () => {
    for (const d of [us, gb, de]) expect(d.month('2026-11')).toBe('Nov 2026');
    expect(de.month('2026-09')).toBe('Sep 2026');
    expect(us.day('2026-12-06')).toBe('Dec 6, 2026');
    expect(gb.day('2026-12-06')).toBe('6 Dec 2026');
    expect(de.day('2026-09-16')).toBe('16 Sep 2026');
  });

  it("defaults to the currency's usual locale, en-US when there is none", () => {
    expect(defaultLocale('USD')).toBe('en-US');
    expect(defaultLocale('GBP')).toBe('en-GB');
    expect(defaultLocale('EUR')).toBe('de-DE');
    expect(defaultLocale('XOF')).toBe('en-US');
    expect(display({ currency: 'EUR' }).count(4242)).toBe('4.242');
    expect(display({ currency: 'EUR' }).locale).toBe('de-DE');
  });
});

describe('changes in the unit they are read in', () => {
  it.each([
    ['ratio', 0.012, null, '+1.2 pp'], // CSAT 80.0% → 81.2%
    ['ratio', -0.08, 0.7, '−8.0 pp'], // 0.62 − 0.70: never a percent of a percent
    ['score', 23.5, 18.2, '+23.5 points'], // NPS 18.2 → 41.7: not "+129%"
    ['score', -0.3, 4.1, '−0.3 points'], // CES
    ['count', 340, 2833, '+12% (+340)'], // 340 ÷ 2,833 = 12.0%
    ['count', -120, 120, '−100% (−120)'],
    ['count', 3, 40, '+7.5% (+3)'], // below 10%: one decimal
    ['currency', 1440, 400, '+360% (+$1,440)'],
    ['currency', -250, 5000, '−5.0% (−$250.00)'],
    ['seconds', 1800, 10000, '+18% (+30.0 min)'], // 1,800 ÷ 10,000
    ['count', 59, 0, '+59'], // no base: no percent
    ['count', 59, null, '+59'],
    ['count', 50000, 10, '+50,000'], // +500,000%: a percent that says nothing is left out
    ['count', 3, 100000, '+3'], // +0.003% rounds to 0.0%: left out, never "+0.0%"
  ] as const)('%s %s on %s → %s', (unit, change, base, text) => {
    expect(us.change(unit, change, base).text).toBe(text);
  });

  it('a difference of rates (CSAT change) is itself in percentage points, and so is its change', () => {
    expect(us.value('pp', -0.003)).toBe('−0.3 pp');
    expect(us.change('pp', 0.004, -0.003).text).toBe('+0.4 pp');
  });

  it('in de-DE', () => {
    expect(de.change('ratio', 0.012).text).toBe('+1,2 pp');
    expect(de.change('score', 23.5).text).toBe('+23,5 points');
    expect(plain(de.change('count', 340, 2833).text)).toBe('+12 % (+340)');
  });

  it('gives the unsigned size a sentence uses after rose or fell', () => {
    expect(us.change('ratio', -0.042).size).toBe('4.2 pp');
    expect(us.change('score', 23.5).size).toBe('23.5 points');
    expect(us.change('count', -110, 200).size).toBe('55%');
    expect(us.change('count', -110, 0).size).toBe('110');
  });

  it('shows a dash for no change to show, with no direction', () => {
    expect(us.change('count', null)).toEqual({ text: '–', size: '–', direction: null });
  });
});

/** Every signed number in a text: its sign and its digits. */
const signedNumbers = (text: string) =>
  [...text.matchAll(/([+−-])[^\d\s()]*(\d[\d.,\u00a0\u202f' ]*)/g)].map((m) => ({ sign: m[1], digits: m[2]! }));

describe('no signed zero, and no direction for a change that rounds to zero', () => {
  // Values around zero at every scale the formats round at: 1e-9 … 0.6, both signs, and ±0.
  const near = [
    0,
    -0,
    ...[1e-9, 1e-6, 1e-4, 4e-4, 5e-4, 6e-4, 0.004, 0.0049, 0.005, 0.04, 0.049, 0.05, 0.3, 0.49, 0.5, 0.6],
  ].flatMap((v) => [v, -v]);
  const units: KpiUnit[] = ['ratio', 'pp', 'score', 'count', 'currency', 'seconds'];
  const locales = ['en-US', 'en-GB', 'de-DE', 'fr-FR', 'sv-SE'];

  it('holds for every unit, locale and base', () => {
    let checked = 0;
    for (const locale of locales) {
      const d = display({ currency: 'EUR', locale });
      for (const unit of units)
        for (const value of near)
          for (const base of [null, 0, 1, 7, 1000, -50]) {
            const change = d.change(unit, value, base);
            for (const text of [change.text, change.size, d.value(unit, value)]) {
              for (const n of signedNumbers(text))
                expect(n.digits, `${locale} ${unit} ${value}: ${text}`).toMatch(/[1-9]/);
              expect(text).not.toMatch(/±/);
            }
            // No digit but 0 printed: no arrow, no colour, no sign.
            if (!/[1-9]/.test(change.text)) {
              expect(change.direction, `${locale} ${unit} ${value}: ${change.text}`).toBeNull();
              expect(change.text).not.toMatch(/^[+−-]/);
            } else expect(change.direction).toBe(Math.sign(value));
            checked++;
          }
    }
    expect(checked).toBe(locales.length * units.length * near.length * 6);
  });

  it('rounds to zero at the printed precision, not at zero itself', () => {
    expect(us.change('ratio', -0.0004)).toEqual({ text: '0.0 pp', size: '0.0 pp', direction: null }); // −0.04 pp
    expect(us.change('ratio', 0.0006).direction).toBe(1); // +0.06 pp prints +0.1 pp
    expect(us.change('score', -0.04).text).toBe('0.0 points');
    expect(us.change('count', -0.001, 5).text).toBe('0');
    expect(us.change('currency', 0.004, 10).text).toBe('$0.00');
    expect(us.change('seconds', -0.4, 60).text).toBe('0 s');
    expect(us.value('currency', -0.001)).toBe('$0.00');
    expect(us.value('score', -0.04)).toBe('0.0');
  });
});

describe('labels for canonical codes', () => {
  it('names every enum value a report can show, and the segments and placeholders', () => {
    expect(us.label('mid_market')).toBe('Mid-market');
    expect(us.label('smb')).toBe('SMB');
    expect(us.label('labor')).toBe('Labour');
    expect(us.label('on_hold')).toBe('On hold');
    expect(us.label('unassigned')).toBe('Unassigned');
    expect(us.label('channel')).toBe('Channel');
    for (const code of [...ticketChannels, ...ticketPriorities, ...ticketStatuses, ...costCategories])
      expect(us.label(code), code).not.toMatch(/_|^[a-z]/);
  });

  it('prints any other value from the data as it is', () => {
    expect(us.label('frontline')).toBe('frontline');
    expect(us.label('billing_dispute')).toBe('billing_dispute');
    expect(us.label('constructor')).toBe('constructor'); // a name of Object's, not a label
  });

  it('takes the config labels over its own', () => {
    const d = display({ currency: 'EUR', labels: { mid_market: 'Mittelstand', frontline: 'Front line' } });
    expect(d.label('mid_market')).toBe('Mittelstand');
    expect(d.label('frontline')).toBe('Front line');
    expect(d.label('smb')).toBe('SMB');
  });
});

describe('config keys locale and labels', () => {
  const minimal = {
    lake: './lake',
    sources: [{ name: 'helpdesk', type: 'csv', entity: 'tickets', path: 'exports/*.csv' }],
  };

  function problems(raw: unknown): string[] {
    try {
      parseConfig(raw, '/x/pulse.config.json');
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  }

  it('default to no locale (the currency decides) and no labels', () => {
    const { config } = parseConfig(minimal, '/x/pulse.config.json');
    expect(config.locale).toBeUndefined();
    expect(config.labels).toEqual({});
  });

  it('take a locale Intl knows and labels of words', () => {
    const { config } = parseConfig(
      { ...minimal, locale: 'en-GB', labels: { mid_market: 'Mid-size' } },
      '/x/pulse.config.json',
    );
    expect(config.locale).toBe('en-GB');
    expect(config.labels).toEqual({ mid_market: 'Mid-size' });
  });

  it('refuse a tag that is no locale and an empty label', () => {
    const found = problems({ ...minimal, locale: 'not a locale', labels: { smb: ' ' } });
    expect(found.some((p) => /locale: a locale Intl knows/.test(p))).toBe(true);
    expect(found.some((p) => /labels\.smb/.test(p))).toBe(true);
  });
});
