import type { KpiDefinition } from './catalog.ts';
import { display, type Display } from './format.ts';
import type { KpiMeasure, MemberMeasure } from './measure.ts';
import type { Driver } from './types.ts';

/** Dimensions a change is decomposed over. */
export const driverDimensions = ['channel', 'category', 'team'] as const;

const weightOf = (unit: KpiDefinition['unit'], m: MemberMeasure | undefined): number =>
  !m
    ? 0
    : unit === 'seconds'
      ? (m.n ?? 0)
      : m.denominator === null || m.denominator === undefined
        ? (m.numerator ?? 0)
        : m.denominator;

/**
 * Mix/rate decomposition of a change over one dimension. For a ratio or mean
 * V = Σ sᵢ·rᵢ (sᵢ a member's share of the weight, rᵢ its value):
 *   ΔV = Σ (s₁ᵢ − s₀ᵢ)·(r₀ᵢ − V₀)   mix: volume moving between members
 *      + Σ s₁ᵢ·(r₁ᵢ − r₀ᵢ)          rate: members getting better or worse
 * which adds up to ΔV exactly. Counts decompose into each member's own change. A median is
 * not a weighted mean, so for durations the effects are computed on the members' medians and
 * scaled to the actual change of the headline median.
 */
export function decompose(
  definition: KpiDefinition,
  dimension: string,
  current: KpiMeasure,
  previous: KpiMeasure,
): Driver[] {
  const now = current.breakdowns[dimension] ?? {};
  const before = previous.breakdowns[dimension] ?? {};
  const members = [...new Set([...Object.keys(now), ...Object.keys(before)])];
  const isCount =
    definition.unit !== 'seconds' &&
    (current.headline.denominator === null || current.headline.denominator === undefined);
  if (isCount) {
    return members.map((member) => {
      const v1 = now[member]?.value ?? 0;
      const v0 = before[member]?.value ?? 0;
      return {
        dimension,
        member,
        effect: v1 - v0,
        mixEffect: v1 - v0,
        rateEffect: 0,
        share: 0,
        previousWeight: v0,
        currentWeight: v1,
        previousValue: v0,
        currentValue: v1,
      };
    });
  }
  const total1 = members.reduce((s, m) => s + weightOf(definition.unit, now[m]), 0);
  const total0 = members.reduce((s, m) => s + weightOf(definition.unit, before[m]), 0);
  if (total0 === 0 || total1 === 0) return [];
  const rows = members.map((member) => {
    const w1 = weightOf(definition.unit, now[member]);
    const w0 = weightOf(definition.unit, before[member]);
    const r1 = now[member]?.value ?? before[member]?.value ?? 0;
    const r0 = before[member]?.value ?? r1;
    return { member, s1: w1 / total1, s0: w0 / total0, r1, r0, w1, w0 };
  });
  const v0 = rows.reduce((s, r) => s + r.s0 * r.r0, 0);
  const drivers = rows.map((r) => {
    const mixEffect = (r.s1 - r.s0) * (r.r0 - v0);
    const rateEffect = r.s1 * (r.r1 - r.r0);
    return {
      dimension,
      member: r.member,
      effect: mixEffect + rateEffect,
      mixEffect,
      rateEffect,
      share: 0,
      previousWeight: r.w0,
      currentWeight: r.w1,
      previousValue: before[r.member]?.value ?? null,
      currentValue: now[r.member]?.value ?? null,
    };
  });
  const actual = (current.headline.value ?? 0) - (previous.headline.value ?? 0);
  const modelled = drivers.reduce((s, d) => s + d.effect, 0);
  if (definition.unit === 'seconds' && modelled !== 0 && Math.sign(modelled) === Math.sign(actual)) {
    const scale = actual / modelled;
    for (const d of drivers) {
      d.effect *= scale;
      d.mixEffect *= scale;
      d.rateEffect *= scale;
    }
  }
  return drivers;
}

/** The largest contributors in the direction of the change, across the driver dimensions. */
export function topDrivers(definition: KpiDefinition, current: KpiMeasure, previous: KpiMeasure, limit = 3): Driver[] {
  const change = (current.headline.value ?? 0) - (previous.headline.value ?? 0);
  if (change === 0) return [];
  // A dimension whose only member is the placeholder "all" (orders have no channel) explains nothing.
  const informative = driverDimensions.filter((dimension) =>
    Object.keys(current.breakdowns[dimension] ?? {}).some((m) => m !== 'all'),
  );
  const all = informative.flatMap((dimension) => decompose(definition, dimension, current, previous));
  for (const d of all) d.share = d.effect / change;
  return all
    .filter((d) => d.share > 0)
    .sort((a, b) => b.share - a.share)
    .slice(0, limit);
}

function percent(x: number): string {
  return `${Math.round(Math.abs(x) * 100)}%`;
}

function volumeWords(d: Driver): string {
  if (d.previousWeight === 0) return 'new this period';
  const ratio = d.currentWeight / d.previousWeight;
  if (ratio >= 1.95) return ratio >= 2.95 ? `volume up ${ratio.toFixed(1)}×` : 'volume doubled';
  if (Math.abs(ratio - 1) < 0.05) return 'volume steady';
  return `volume ${ratio > 1 ? 'up' : 'down'} ${percent(ratio - 1)}`;
}

function memberPhrase(d: Driver, shown: Display): string {
  if (d.dimension === 'team') return `team ${shown.label(d.member)}`;
  return `${shown.label(d.member)} tickets`;
}

/**
 * One sentence with numbers: what moved, by how much, and the member that moved it most, e.g.
 * "Median full resolution time rose 18% (9.2 h → 10.9 h); billing tickets (volume doubled) drove 70% of the rise."
 * A rate moves in percentage points and a score in points, never in percent of itself
 * ("NPS rose 23.5 points (18.2 → 41.7)", not 129%); numbers, and codes such as channels, as `shown` prints them.
 */
export function explain(
  definition: KpiDefinition,
  current: number,
  previous: number,
  drivers: Driver[],
  shown: Display = display({ currency: 'USD', locale: 'en-US' }),
): string {
  const rose = current > previous;
  const name = definition.unit === 'seconds' ? `Median ${definition.label.toLowerCase()}` : definition.label;
  const change = shown.change(definition.unit, current - previous, previous);
  const by = change.direction === null ? '' : ` ${change.size}`;
  const value = (v: number) => shown.value(definition.unit, v);
  const head = `${name} ${rose ? 'rose' : 'fell'}${by} (${value(previous)} → ${value(current)})`;
  const top = drivers[0];
  if (!top) return `${head}.`;
  const how =
    Math.abs(top.mixEffect) >= Math.abs(top.rateEffect)
      ? volumeWords(top)
      : top.previousValue !== null && top.currentValue !== null
        ? `${value(top.previousValue)} → ${value(top.currentValue)}`
        : 'its own rate';
  return `${head}; ${memberPhrase(top, shown)} (${how}) drove ${percent(top.share)} of the ${rose ? 'rise' : 'fall'}.`;
}
