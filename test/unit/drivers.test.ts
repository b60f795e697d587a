import { describe, expect, it } from 'vitest';
import { kpiById } from '../../functions/kpis/catalog.ts';
import { decompose, explain, topDrivers } from '../../functions/kpis/drivers.ts';
import { display } from '../../functions/kpis/format.ts';
import type { KpiMeasure } from '../../functions/kpis/measure.ts';

const rate = (num: number, den: number) => ({ value: num / den, numerator: num, denominator: den, n: den });

function measure(members: Record<string, [number, number]>): KpiMeasure {
  const num = Object.values(members).reduce((s, [n]) => s + n, 0);
  const den = Object.values(members).reduce((s, [, d]) => s + d, 0);
  return {
    headline: rate(num, den),
    breakdowns: { channel: Object.fromEntries(Object.entries(members).map(([m, [n, d]]) => [m, rate(n, d)])) },
  };
}

describe('mix/rate decomposition', () => {
  // Reopen rate by channel. Before: email 10/100, chat 5/100 → 15/200 = 7.5%.
  // After: email 30/200 (rate up, volume doubled), chat 5/100 → 35/300 = 11.67%.
  const before = measure({ email: [10, 100], chat: [5, 100] });
  const after = measure({ email: [30, 200], chat: [5, 100] });
  const reopen = kpiById('reopen_rate')!;

  it('adds up to the change exactly', () => {
    const drivers = decompose(reopen, 'channel', after, before);
    const total = drivers.reduce((s, d) => s + d.effect, 0);
    expect(total).toBeCloseTo(35 / 300 - 15 / 200, 12);
    // email: mix (2/3 − 1/2)·(0.10 − 0.075) = 0.0041667; rate (2/3)·(0.15 − 0.10) = 0.0333333.
    const email = drivers.find((d) => d.member === 'email')!;
    expect(email.mixEffect).toBeCloseTo((2 / 3 - 1 / 2) * (0.1 - 0.075), 12);
    expect(email.rateEffect).toBeCloseTo((2 / 3) * 0.05, 12);
    // chat: mix (1/3 − 1/2)·(0.05 − 0.075) = 0.0041667; rate 0.
    const chat = drivers.find((d) => d.member === 'chat')!;
    expect(chat.mixEffect).toBeCloseTo((1 / 3 - 1 / 2) * (0.05 - 0.075), 12);
    expect(chat.rateEffect).toBe(0);
  });

  it('names the largest contributor in one sentence with numbers', () => {
    const drivers = topDrivers(reopen, after, before);
    expect(drivers[0]!.member).toBe('email');
    // email: (0.0041667 + 0.0333333) ÷ 0.0416667 = 90%.
    expect(drivers[0]!.share).toBeCloseTo(0.0375 / (35 / 300 - 0.075), 12);
    expect(explain(reopen, 35 / 300, 0.075, drivers)).toBe(
      'Reopen rate rose 4.2 pp (7.5% → 11.7%); Email tickets (10.0% → 15.0%) drove 90% of the rise.',
    );
  });

  it("decomposes a count into each member's own change", () => {
    const created = kpiById('tickets_created')!;
    const count = (members: Record<string, number>): KpiMeasure => ({
      headline: { value: Object.values(members).reduce((s, v) => s + v, 0), numerator: 0, denominator: null },
      breakdowns: {
        channel: Object.fromEntries(
          Object.entries(members).map(([m, v]) => [m, { value: v, numerator: v, denominator: null }]),
        ),
      },
    });
    const drivers = topDrivers(created, count({ email: 200, chat: 110 }), count({ email: 100, chat: 100 }));
    expect(drivers.map((d) => [d.member, d.effect])).toEqual([
      ['email', 100],
      ['chat', 10],
    ]);
    expect(explain(created, 310, 200, drivers)).toBe(
      'Tickets created rose 55% (200 → 310); Email tickets (volume doubled) drove 91% of the rise.',
    );
  });
});

describe('the explanation says a change in the unit it is read in', () => {
  it('a score in points, not in percent of itself', () => {
    // NPS 18.2 → 41.7: +23.5 points (as a percent it would read "129%").
    expect(explain(kpiById('nps')!, 41.7, 18.2, [])).toBe('NPS rose 23.5 points (18.2 → 41.7).');
    expect(explain(kpiById('ces')!, 3.1, 3.4, [])).toBe('Customer effort score fell 0.3 points (3.4 → 3.1).');
  });

  it('a ratio in percentage points', () => {
    expect(explain(kpiById('csat')!, 0.79, 0.82, [])).toBe('CSAT fell 3.0 pp (82.0% → 79.0%).');
  });

  it("in the config's locale, with the words of its labels for the member", () => {
    const created = kpiById('tickets_created')!;
    const driver = {
      dimension: 'channel',
      member: 'chat',
      effect: 900,
      mixEffect: 900,
      rateEffect: 0,
      share: 0.9,
      previousWeight: 1000,
      currentWeight: 1900,
      previousValue: 1000,
      currentValue: 1900,
    };
    const shown = display({ currency: 'EUR', locale: 'de-DE', labels: { chat: 'Live chat' } });
    // 4,242 → 5,242: +1,000 = +23.6% of 4,242, printed whole from 10%.
    expect(explain(created, 5242, 4242, [driver], shown).replace(/\u00a0/g, ' ')).toBe(
      'Tickets created rose 24 % (4.242 → 5.242); Live chat tickets (volume up 90%) drove 90% of the rise.',
    );
  });
});
