import { DateTime } from 'luxon';
import type { Forecast } from './types.ts';

export interface DailyVolume {
  date: string;
  tickets: number;
}

export interface StaffingBasis {
  /** Agent hours per ticket observed recently (worked hours ÷ tickets), if agent_time exists. */
  hoursPerTicket: number | null;
  /** Mean handle seconds per ticket, the fallback when no agent time is recorded. */
  handleSecondsPerTicket: number | null;
  /** Recent first-reply median and its target, to scale hours when the target was missed. */
  firstReplyP50: number | null;
  firstReplyTarget: number | null;
}

const weekdays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const lookbackWeeks = 12;
/** Share of paid time agents can spend on tickets (industry rule of thumb for async queues). */
const occupancy = 0.85;

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Next month's volume by weekday: the mean of the same weekday over the last 12 weeks (days
 * with no tickets count as zero), with the 10th–90th percentile of those days as the range.
 * A seasonal-naive weekday mean is chosen over a fitted model because it is explainable in one
 * line, robust to the busy/quiet months of a small history, and what a team lead would do by
 * hand. Staffing = expected tickets × recent agent hours per ticket, scaled up by how far the
 * first-reply median missed its target (capped at 1.5×).
 */
export function forecastNextMonth(
  month: string,
  lastDay: string,
  history: DailyVolume[],
  basis: StaffingBasis,
): Forecast | null {
  const end = DateTime.fromISO(lastDay, { zone: 'UTC' });
  const start = end.minus({ weeks: lookbackWeeks }).plus({ days: 1 });
  const counts = new Map(history.map((d) => [d.date, d.tickets]));
  if (history.length === 0) return null;
  const byWeekday: number[][] = weekdays.map(() => []);
  for (let day = start; day <= end; day = day.plus({ days: 1 })) {
    byWeekday[day.weekday - 1]!.push(counts.get(day.toISODate()!) ?? 0);
  }
  const first = DateTime.fromISO(`${month}-01`, { zone: 'UTC' });
  const daysOf = weekdays.map(() => 0);
  for (let day = first; day.month === first.month; day = day.plus({ days: 1 })) daysOf[day.weekday - 1]! += 1;
  const rows = weekdays.map((weekday, i) => {
    const values = [...byWeekday[i]!].sort((a, b) => a - b);
    const mean = values.reduce((s, v) => s + v, 0) / Math.max(values.length, 1);
    return {
      weekday,
      days: daysOf[i]!,
      expectedPerDay: Math.round(mean * 10) / 10,
      low: Math.round(quantile(values, 0.1)),
      high: Math.round(quantile(values, 0.9)),
    };
  });
  const expectedTickets = Math.round(rows.reduce((s, r) => s + r.expectedPerDay * r.days, 0));
  let hoursPerTicket: number | null = basis.hoursPerTicket;
  let staffingBasis = 'recent agent hours worked per ticket';
  if (hoursPerTicket === null && basis.handleSecondsPerTicket !== null) {
    hoursPerTicket = basis.handleSecondsPerTicket / 3600 / occupancy;
    staffingBasis = `mean handle time per ticket at ${Math.round(occupancy * 100)}% occupancy`;
  }
  let agentHoursNeeded: number | null = null;
  if (hoursPerTicket !== null) {
    let scale = 1;
    if (basis.firstReplyP50 !== null && basis.firstReplyTarget && basis.firstReplyP50 > basis.firstReplyTarget) {
      scale = Math.min(1.5, basis.firstReplyP50 / basis.firstReplyTarget);
      staffingBasis += `, scaled ×${scale.toFixed(2)} because the first-reply median missed its target`;
    }
    agentHoursNeeded = Math.round(expectedTickets * hoursPerTicket * scale);
  }
  return {
    month,
    method: `mean of each weekday over the last ${lookbackWeeks} weeks; range: 10th–90th percentile of those days`,
    expectedTickets,
    byWeekday: rows,
    agentHoursNeeded,
    staffingBasis,
  };
}
