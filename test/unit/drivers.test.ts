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

  it('adds up to the change exactly, the interaction split evenly between mix and rate', () => {
    const drivers = decompose(reopen, 'channel', after, before);
    const total = drivers.reduce((s, d) => s + d.effect, 0);
    expect(total).toBeCloseTo(35 / 300 - 15 / 200, 12);
    // V̄ = (0.075 + 0.116667)/2 = 0.0958333.
    // email: s 1/2 → 2/3, r 0.10 → 0.15. mix (2/3 − 1/2)·(0.125 − 0.0958333) = 0.0048611;
    //        rate (1/2 + 2/3)/2 · 0.05 = 0.0291667 (= s₀Δr 0.025 + half the interaction (1/6)(0.05)/2).
    const email = drivers.find((d) => d.member === 'email')!;
    expect(email.mixEffect).toBeCloseTo((2 / 3 - 1 / 2) * (0.125 - (0.075 + 35 / 300) / 2), 12);
    expect(email.rateEffect).toBeCloseTo((1 / 2) * 0.05 + ((2 / 3 - 1 / 2) * 0.05) / 2, 12);
    // chat: s 1/2 → 1/3, r 0.05 steady. mix (−1/6)·(0.05 − 0.0958333) = 0.0076389; rate 0.
    const chat = drivers.find((d) => d.member === 'chat')!;
    expect(chat.mixEffect).toBeCloseTo((1 / 3 - 1 / 2) * (0.05 - (0.075 + 35 / 300) / 2), 12);
    expect(chat.rateEffect).toBe(0);
  });

  it('names the largest contributor in one sentence with numbers', () => {
    const drivers = topDrivers(reopen, after, before);
    expect(drivers[0]!.member).toBe('email');
    // email: (0.0048611 + 0.0291667) ÷ 0.0416667 = 81.7%; chat 18.3%: both push up, shares add to 1.
    expect(drivers[0]!.share).toBeCloseTo(0.0340278 / 0.0416667, 5);
    expect(drivers[0]!.share! + drivers[1]!.share!).toBeCloseTo(1, 12);
    expect(explain(reopen, 35 / 300, 0.075, drivers)).toBe(
      'Reopen rate rose 4.2 pp (7.5% → 11.7%); Email tickets (10.0% → 15.0%) drove 82% of the rise.',
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

describe('drivers that add up (docs/rules.md, "Status, change and drivers")', () => {
  const reopen = kpiById('reopen_rate')!;

  it('when members pull both ways, gives absolute effects and says they offset, never a share', () => {
    // Before: email 20/100 (20%), chat 30/100 (30%) → 25%. After: email 90/300 (30%), chat 30/100 → 30%.
    // V̄ = 0.275. email: mix (3/4 − 1/2)(0.25 − 0.275) = −0.00625, rate (1/2 + 3/4)/2 · 0.10 = 0.0625
    // → +0.05625; chat: mix (1/4 − 1/2)(0.30 − 0.275) = −0.00625, rate 0 → −0.00625. Sum 0.05.
    // As shares these would be 112.5% and −12.5%.
    const before = measure({ email: [20, 100], chat: [30, 100] });
    const after = measure({ email: [90, 300], chat: [30, 100] });
    const drivers = topDrivers(reopen, after, before);
    expect(drivers.map((d) => [d.member, d.share])).toEqual([
      ['email', null],
      ['chat', null],
    ]);
    expect(drivers[0]!.effect).toBeCloseTo(0.05625, 12);
    expect(drivers[1]!.effect).toBeCloseTo(-0.00625, 12);
    expect(explain(reopen, 0.3, 0.25, drivers)).toBe(
      'Reopen rate rose 5.0 pp (25.0% → 30.0%); by channel, ' +
        'Email tickets +5.6 pp (20.0% → 30.0%), partly offset by Chat tickets −0.6 pp (share of volume 50% → 25%).',
    );
  });

  it('pools members below the minimum sample as "other"', () => {
    // chat (1/3 → 3/3) and phone (2/4 → 1/2) are under 30 tickets: pooled 3/7 → 4/5.
    const before = measure({ email: [10, 100], chat: [1, 3], phone: [2, 4] });
    const after = measure({ email: [12, 100], chat: [3, 3], phone: [1, 2] });
    const drivers = decompose(reopen, 'channel', after, before, 30);
    expect(drivers.map((d) => d.member).sort()).toEqual(['email', 'other']);
    const other = drivers.find((d) => d.member === 'other')!;
    expect(other).toMatchObject({ previousWeight: 7, currentWeight: 5 });
    expect(other.previousValue).toBeCloseTo(3 / 7, 12);
    expect(other.currentValue).toBeCloseTo(4 / 5, 12);
    // Still exact: 16/105 − 13/107.
    expect(drivers.reduce((s, d) => s + d.effect, 0)).toBeCloseTo(16 / 105 - 13 / 107, 12);
    // email: s 100/107 → 100/105, r 10% → 12%; other: s 7/107 → 5/105, r 42.9% → 80%. V̄ = 0.136938.
    // email: mix (0.952381 − 0.934579)(0.11 − 0.136938) = −0.000480; rate 0.943480 · 0.02 = 0.018870
    // → +0.018390; other: mix (0.047619 − 0.065421)(0.614286 − 0.136938) = −0.008498; rate
    // 0.056520 · 0.371429 = 0.020993 → +0.012496. Both up: email 0.018390 ÷ 0.030886 = 60%.
    const sentence = explain(reopen, 16 / 105, 13 / 107, topDrivers(reopen, after, before, { minSample: 30 }));
    expect(sentence).toBe(
      'Reopen rate rose 3.1 pp (12.1% → 15.2%); Email tickets (10.0% → 12.0%) drove 60% of the rise.',
    );
  });

  it('with a lower minimum sample the same members stand on their own', () => {
    const before = measure({ email: [10, 100], chat: [1, 3], phone: [2, 4] });
    const after = measure({ email: [12, 100], chat: [3, 3], phone: [1, 2] });
    expect(
      decompose(reopen, 'channel', after, before, 2)
        .map((d) => d.member)
        .sort(),
    ).toEqual(['chat', 'email', 'phone']);
  });

  it('never gives a share outside 0–100% nor prints one, over many random changes', () => {
    // A small linear congruential generator: the same 500 cases on every run.
    let seed = 21;
    const next = (max: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor((seed / 2147483648) * max);
    };
    const sample = () => {
      const members: Record<string, [number, number]> = {};
      for (const m of ['email', 'chat', 'phone', 'web']) {
        const den = 30 + next(300);
        members[m] = [next(den + 1), den];
      }
      return measure(members);
    };
    for (let i = 0; i < 500; i += 1) {
      const before = sample();
      const after = sample();
      const drivers = topDrivers(reopen, after, before);
      const change = after.headline.value! - before.headline.value!;
      const all = decompose(reopen, 'channel', after, before);
      expect(all.reduce((s, d) => s + d.effect, 0)).toBeCloseTo(change, 12);
      for (const d of drivers) {
        if (d.share === null) continue;
        expect(d.share).toBeGreaterThanOrEqual(0);
        expect(d.share).toBeLessThanOrEqual(1);
      }
      const printed = explain(reopen, after.headline.value!, before.headline.value!, drivers).match(/drove (\d+)%/);
      if (printed) expect(Number(printed[1])).toBeLessThanOrEqual(100);
    }
  });

  it('scales a median decomposition to the headline change, and has none when the members move the other way', () => {
    const firstReply = kpiById('first_reply_time')!;
    const median = (value: number, n: number) => ({ value, p50: value, n });
    const of = (headline: number, members: Record<string, [number, number]>): KpiMeasure => ({
      headline: median(
        headline,
        Object.values(members).reduce((s, [, n]) => s + n, 0),
      ),
      breakdowns: { channel: Object.fromEntries(Object.entries(members).map(([m, [v, n]]) => [m, median(v, n)])) },
    });
    // Members' medians: V₀ = (100·50 + 300·50)/100 = 200, V₁ = (100·50 + 500·50)/100 = 300: modelled +100;
    // the headline median moved +60, so every effect is scaled by 0.6 and they sum to 60.
    const before = of(180, { email: [100, 50], chat: [300, 50] });
    const after = of(240, { email: [100, 50], chat: [500, 50] });
    const drivers = decompose(firstReply, 'channel', after, before);
    expect(drivers.reduce((s, d) => s + d.effect, 0)).toBeCloseTo(60, 9);
    expect(drivers.find((d) => d.member === 'chat')!.effect).toBeCloseTo(60, 9);
    expect(decompose(firstReply, 'channel', of(170, { email: [100, 50], chat: [500, 50] }), before)).toEqual([]);
  });

  it('never decomposes by an excluded dimension (a sliced report by its own slice), nor by one member', () => {
    const rateOf = (num: number, den: number) => ({ value: num / den, numerator: num, denominator: den, n: den });
    const teamOnly = (num: number, den: number): KpiMeasure => ({
      headline: rateOf(num, den),
      breakdowns: {
        team: { frontline: rateOf(num, den) },
        channel: { email: rateOf(num - 10, den - 50), chat: rateOf(10, 50) },
      },
    });
    const before = teamOnly(30, 150);
    const after = teamOnly(50, 150);
    // team has one member: it would "drive 100%" of anything.
    expect(decompose(reopen, 'team', after, before)).toEqual([]);
    const twoTeams = (num: number): KpiMeasure => ({
      headline: rateOf(num + 10, 150),
      breakdowns: { team: { frontline: rateOf(num, 100), billing: rateOf(10, 50) } },
    });
    expect(topDrivers(reopen, twoTeams(40), twoTeams(20)).map((d) => d.dimension)).toContain('team');
    expect(topDrivers(reopen, twoTeams(40), twoTeams(20), { exclude: ['team'] })).toEqual([]);
  });

  it('a score moves in points, never in percent', () => {
    // NPS 18.2 → 41.7 is +23.5 points; as a percent of 18.2 it would read "rose 129%".
    expect(explain(kpiById('nps')!, 41.7, 18.2, [])).toBe('NPS rose 23.5 points (18.2 → 41.7).');
  });

  it('a dimension where only one member has anything explains nothing', () => {
    // Complaints by category: every category is a member, but only "complaint" counts any (8 → 6).
    const complaints = kpiById('complaints')!;
    const count = (complaint: number): KpiMeasure => ({
      headline: { value: complaint, numerator: complaint, denominator: null },
      breakdowns: {
        category: {
          complaint: { value: complaint, numerator: complaint, denominator: null },
          billing: { value: 0, numerator: 0, denominator: null },
        },
      },
    });
    expect(topDrivers(complaints, count(6), count(8))).toEqual([]);
    expect(explain(complaints, 6, 8, [])).toBe('Complaints fell 25% (8 → 6).');
  });

  it("never prints the pooled members' rate as if it were one member's", () => {
    // chat 1/3 → 3/3 alone under 30 tickets: pooled as "other", whose rate effect is the largest.
    const before = measure({ email: [10, 100], chat: [1, 3] });
    const after = measure({ email: [10, 100], chat: [3, 3] });
    const drivers = topDrivers(reopen, after, before, { minSample: 30 });
    expect(drivers[0]!.member).toBe('other');
    expect(explain(reopen, 13 / 103, 11 / 103, drivers)).toBe(
      'Reopen rate rose 1.9 pp (10.7% → 12.6%); other channels (their rates) drove 100% of the rise.',
    );
  });
});
