import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { forecastNextMonth } from '../../functions/kpis/forecast.ts';

// 12 weeks to Saturday 31 Oct 2026: Mondays 10 tickets, Tuesday–Friday 5, weekends 1.
const history = Array.from({ length: 84 }, (_, i) => {
  const day = DateTime.fromISO('2026-10-31', { zone: 'UTC' }).minus({ days: i });
  return { date: day.toISODate()!, tickets: day.weekday === 1 ? 10 : day.weekday <= 5 ? 5 : 1 };
});

describe('next month forecast', () => {
  it('expects each weekday at its 12-week mean and sums over the month', () => {
    const forecast = forecastNextMonth('2026-11', '2026-10-31', history, {
      hoursPerTicket: 0.5,
      handleSecondsPerTicket: null,
      firstReplyP50: null,
      firstReplyTarget: null,
    })!;
    expect(forecast.byWeekday.map((d) => [d.weekday, d.days, d.expectedPerDay])).toEqual([
      ['Mon', 5, 10],
      ['Tue', 4, 5],
      ['Wed', 4, 5],
      ['Thu', 4, 5],
      ['Fri', 4, 5],
      ['Sat', 4, 1],
      ['Sun', 5, 1],
    ]);
    // November 2026: 5 Mondays × 10 + 16 Tue–Fri × 5 + 4 Saturdays + 5 Sundays = 139.
    expect(forecast.expectedTickets).toBe(139);
    expect(forecast.agentHoursNeeded).toBe(70); // 139 × 0.5 h, rounded
  });

  it('counts days without tickets as zero and scales staffing when the first-reply target was missed', () => {
    const sparse = history.filter((d) => DateTime.fromISO(d.date).weekday !== 6);
    const forecast = forecastNextMonth('2026-11', '2026-10-31', sparse, {
      hoursPerTicket: 0.5,
      handleSecondsPerTicket: null,
      firstReplyP50: 7200,
      firstReplyTarget: 3600,
    })!;
    expect(forecast.byWeekday.find((d) => d.weekday === 'Sat')!.expectedPerDay).toBe(0);
    expect(forecast.expectedTickets).toBe(135);
    expect(forecast.agentHoursNeeded).toBe(Math.round(135 * 0.5 * 1.5)); // capped at 1.5×
  });
});
