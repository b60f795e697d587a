import { describe, expect, it } from 'vitest';
import { kpiById } from '../../functions/kpis/catalog.ts';
import { decompose, explain, topDrivers } from '../../functions/kpis/drivers.ts';
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
      'Reopen rate rose 4.2 pp (7.5% → 11.7%); email tickets (10.0% → 15.0%) drove 90% of the rise.',
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
      'Tickets created rose 55% (200 → 310); email tickets (volume doubled) drove 91% of the rise.',
    );
  });
});
