import { defaultMinSample } from '../config/schema.ts';
import type { KpiDefinition } from './catalog.ts';
import { display, type Display } from './format.ts';
import { kpiKind, type KpiMeasure, type MemberMeasure } from './measure.ts';
import type { Driver } from './types.ts';

/** Dimensions a change is decomposed over. */
export const driverDimensions = ['channel', 'category', 'team'] as const;

/** Where members below the minimum sample are pooled (docs/rules.md, "Status, change and drivers"). */
export const pooledMember = 'other';

export interface DriverOptions {
  /** definitions.minSample: a member on fewer observations in either period is pooled as "other". */
  minSample?: number | undefined;
  /** Dimensions never decomposed over: a sliced report's own (a team's report by team explains nothing). */
  exclude?: readonly string[] | undefined;
  limit?: number | undefined;
}

/** How a KPI adds up over its members: a count sums, a ratio is Σ num ÷ Σ den, a duration is a median. */
type Kind = 'count' | 'ratio' | 'median';

function kindOf(definition: KpiDefinition, headline: MemberMeasure): Kind {
  if (kpiKind(definition) === 'duration') return 'median';
  return headline.denominator === null || headline.denominator === undefined ? 'count' : 'ratio';
}

const weightOf = (kind: Kind, m: MemberMeasure | undefined): number =>
  !m ? 0 : kind === 'median' ? (m.n ?? 0) : kind === 'ratio' ? (m.denominator ?? 0) : (m.value ?? 0);

type Members = Record<string, MemberMeasure>;

/** Members pooled into one: a ratio sums numerators and denominators; a median takes the n-weighted mean. */
function poolOf(kind: Kind, parts: MemberMeasure[]): MemberMeasure | undefined {
  const weight = parts.reduce((s, m) => s + weightOf(kind, m), 0);
  if (weight === 0) return undefined;
  if (kind === 'ratio') {
    const numerator = parts.reduce((s, m) => s + (m.numerator ?? 0), 0);
    return { value: numerator / weight, numerator, denominator: weight, n: weight };
  }
  const valued = parts.filter((m) => m.value !== null && weightOf(kind, m) > 0);
  const n = valued.reduce((s, m) => s + weightOf(kind, m), 0);
  return { value: n ? valued.reduce((s, m) => s + m.value! * weightOf(kind, m), 0) / n : null, n: weight };
}

/**
 * A rate from a handful of tickets is noise ("chat tickets (32.1% → 100.0%)" from three): members
 * with fewer than `minSample` observations in either period are pooled as "other", so their
 * volume still counts and the effects still add up. Counts are exact and never pooled.
 */
function pooled(kind: Kind, now: Members, before: Members, minSample: number): [Members, Members] {
  if (kind === 'count') return [now, before];
  const names = [...new Set([...Object.keys(now), ...Object.keys(before)])];
  const small = new Set(
    names.filter((m) => m === pooledMember || Math.min(weightOf(kind, now[m]), weightOf(kind, before[m])) < minSample),
  );
  if (small.size === 0) return [now, before];
  const side = (members: Members): Members => {
    const kept = Object.fromEntries(Object.entries(members).filter(([m]) => !small.has(m)));
    const pool = poolOf(
      kind,
      Object.entries(members).flatMap(([m, v]) => (small.has(m) ? [v] : [])),
    );
    return pool ? { ...kept, [pooledMember]: pool } : kept;
  };
  return [side(now), side(before)];
}

/** Change smaller than this, relative to the values compared, is floating-point noise. */
const noise = (...values: number[]) => 1e-9 * Math.max(1e-12, ...values.map(Math.abs));

/**
 * Mix/rate decomposition of a change over one dimension (docs/rules.md, "Status, change and
 * drivers"). For a ratio or mean V = Σ sᵢ·rᵢ (sᵢ a member's share of the weight, rᵢ its value),
 * with the interaction (s₁ − s₀)(r₁ − r₀) split evenly between mix and rate:
 *   mixᵢ  = (s₁ᵢ − s₀ᵢ)·(r̄ᵢ − V̄)   volume moving between members (r̄ᵢ, V̄ the two periods' means)
 *   rateᵢ = s̄ᵢ·(r₁ᵢ − r₀ᵢ)          members getting better or worse (s̄ᵢ the mean share)
 * Summed over the members the V̄ term cancels (Σ(s₁ − s₀) = 0), leaving Σ s₁r₁ − Σ s₀r₀ = ΔV:
 * the effects add up to the change exactly. Counts decompose into each member's own change. A
 * median is not a weighted mean: for durations the effects are computed on the members' medians
 * and scaled to the change of the headline median, and there are none when the members' medians
 * move the other way. A dimension with fewer than two members, or whose members do not add up to
 * the headline, has no drivers: its numbers would not add up.
 */
export function decompose(
  definition: KpiDefinition,
  dimension: string,
  current: KpiMeasure,
  previous: KpiMeasure,
  minSample = defaultMinSample,
): Driver[] {
  const kind = kindOf(definition, current.headline);
  const [now, before] = pooled(
    kind,
    current.breakdowns[dimension] ?? {},
    previous.breakdowns[dimension] ?? {},
    minSample,
  );
  // A member with nothing in either period moves nothing; with one member left, it "drove 100%"
  // of any change (complaints by category: only "complaint" has any).
  const members = [...new Set([...Object.keys(now), ...Object.keys(before)])].filter(
    (m) => weightOf(kind, now[m]) !== 0 || weightOf(kind, before[m]) !== 0,
  );
  if (members.length < 2) return [];
  const actual = (current.headline.value ?? 0) - (previous.headline.value ?? 0);
  const driver = (member: string, mixEffect: number, rateEffect: number, w1: number, w0: number): Driver => ({
    dimension,
    member,
    effect: mixEffect + rateEffect,
    mixEffect,
    rateEffect,
    share: null,
    previousWeight: w0,
    currentWeight: w1,
    previousValue: before[member]?.value ?? null,
    currentValue: now[member]?.value ?? null,
  });
  if (kind === 'count') {
    const drivers = members.map((m) => {
      const v1 = now[m]?.value ?? 0;
      const v0 = before[m]?.value ?? 0;
      return driver(m, v1 - v0, 0, v1, v0);
    });
    const modelled = drivers.reduce((s, d) => s + d.effect, 0);
    return Math.abs(modelled - actual) <= noise(actual, current.headline.value ?? 0) ? drivers : [];
  }
  const total1 = members.reduce((s, m) => s + weightOf(kind, now[m]), 0);
  const total0 = members.reduce((s, m) => s + weightOf(kind, before[m]), 0);
  if (total0 === 0 || total1 === 0) return [];
  const rows = members.map((member) => {
    const w1 = weightOf(kind, now[member]);
    const w0 = weightOf(kind, before[member]);
    // A member absent from one period has no rate there; any stand-in gives the same sum, and its
    // own value puts all of its effect in mix (it moved volume, it did not change its rate).
    const r1 = now[member]?.value ?? before[member]?.value ?? 0;
    const r0 = before[member]?.value ?? r1;
    return { member, w1, w0, s1: w1 / total1, s0: w0 / total0, r1: w1 > 0 ? r1 : r0, r0: w0 > 0 ? r0 : r1 };
  });
  const v0 = rows.reduce((s, r) => s + r.s0 * r.r0, 0);
  const v1 = rows.reduce((s, r) => s + r.s1 * r.r1, 0);
  const mean = (v0 + v1) / 2;
  const drivers = rows.map((r) => ({
    ...driver(r.member, (r.s1 - r.s0) * ((r.r0 + r.r1) / 2 - mean), ((r.s0 + r.s1) / 2) * (r.r1 - r.r0), r.w1, r.w0),
    previousShare: r.s0,
    currentShare: r.s1,
  }));
  const modelled = v1 - v0;
  if (kind === 'ratio') return Math.abs(modelled - actual) <= noise(v0, v1) ? drivers : [];
  if (modelled === 0 || Math.sign(modelled) !== Math.sign(actual)) return [];
  const scale = actual / modelled;
  return drivers.map((d) => ({
    ...d,
    effect: d.effect * scale,
    mixEffect: d.mixEffect * scale,
    rateEffect: d.rateEffect * scale,
  }));
}

/**
 * Sets each driver's share of the change: effect ÷ change when every effect of the dimension points
 * the way of the change (each share then lies in 0–1 and they add to 1); null when effects offset,
 * where a share would read "661% of the rise".
 */
function withShares(drivers: Driver[], change: number): Driver[] {
  const largest = Math.max(0, ...drivers.map((d) => Math.abs(d.effect)));
  const offsets = drivers.some((d) => Math.abs(d.effect) > noise(largest) && Math.sign(d.effect) !== Math.sign(change));
  // Without offsets an opposite sign is floating-point noise: its share is 0, never −0.000…1.
  return drivers.map((d) => ({ ...d, share: offsets ? null : Math.max(0, d.effect / change) }));
}

/**
 * The largest contributors to the change, by absolute effect, across the driver dimensions a
 * report may use. When the first one's dimension has effects that offset, its largest member
 * pulling the other way is kept too, so the sentence can name both.
 */
export function topDrivers(
  definition: KpiDefinition,
  current: KpiMeasure,
  previous: KpiMeasure,
  options: DriverOptions = {},
): Driver[] {
  const limit = options.limit ?? 3;
  const change = (current.headline.value ?? 0) - (previous.headline.value ?? 0);
  if (change === 0) return [];
  const dimensions = driverDimensions.filter((d) => !options.exclude?.includes(d));
  const ranked = dimensions
    .flatMap((dimension) => withShares(decompose(definition, dimension, current, previous, options.minSample), change))
    .filter((d) => d.effect !== 0)
    .sort((a, b) => Math.abs(b.effect) - Math.abs(a.effect));
  const picked = ranked.slice(0, limit);
  const top = picked[0];
  if (top?.share === null) {
    const counter = ranked.find((d) => d.dimension === top.dimension && Math.sign(d.effect) !== Math.sign(top.effect));
    if (counter && !picked.includes(counter)) {
      if (picked.length >= Math.max(limit, 2)) picked.pop();
      picked.push(counter);
    }
  }
  return picked;
}

function percent(x: number): string {
  return `${Math.round(Math.abs(x) * 100)}%`;
}

function volumeWords(d: Driver): string {
  if (d.previousWeight === 0) return 'new this period';
  // A rate's mix effect comes from the member's share of the volume, which can move while its own
  // volume holds (another member grew).
  if (d.previousShare !== undefined && d.currentShare !== undefined) {
    const [before, after] = [percent(d.previousShare), percent(d.currentShare)];
    return before === after ? 'share of volume steady' : `share of volume ${before} → ${after}`;
  }
  const ratio = d.currentWeight / d.previousWeight;
  if (Math.abs(ratio - 2) < 0.05) return 'volume doubled';
  if (ratio > 2) return `volume up ${ratio.toFixed(1)}×`;
  if (Math.abs(ratio - 1) < 0.05) return 'volume steady';
  return `volume ${ratio > 1 ? 'up' : 'down'} ${percent(ratio - 1)}`;
}

const plurals: Record<string, string> = { channel: 'channels', category: 'categories', team: 'teams' };

function memberPhrase(d: Driver, shown: Display): string {
  if (d.member === pooledMember) return `other ${plurals[d.dimension] ?? d.dimension}`;
  if (d.dimension === 'team') return `team ${shown.label(d.member)}`;
  return `${shown.label(d.member)} tickets`;
}

/** What moved a member: its volume (mix) or its own value (rate), whichever is larger. */
function howWords(definition: KpiDefinition, d: Driver, shown: Display): string {
  if (Math.abs(d.mixEffect) >= Math.abs(d.rateEffect)) return volumeWords(d);
  // The pool's rate mixes members too small to stand alone: not a number to read as one member's.
  if (d.member === pooledMember) return 'their rates';
  if (d.previousValue === null || d.currentValue === null) return 'its own rate';
  const value = (v: number) => shown.value(definition.unit, v);
  return `${value(d.previousValue)} → ${value(d.currentValue)}`;
}

/**
 * One sentence with numbers: what moved, by how much, and the member that moved it most, e.g.
 * "Median full resolution time rose 18% (9.2 h → 10.9 h); billing tickets (volume doubled) drove 70% of the rise."
 * A rate moves in percentage points and a score in points, never in percent of itself
 * ("NPS rose 23.5 points (18.2 → 41.7)", not 129%); numbers, and codes such as channels, as `shown` prints them.
 *
 * When members pulled both ways a share would pass 100%, so the sentence gives the effects in the
 * KPI's unit and says which pulled against the change: "…; by channel, Email tickets +120 (volume
 * up 60%), partly offset by Chat tickets −10 (volume down 10%)."
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
  const phrase = (d: Driver) => `${memberPhrase(d, shown)} (${howWords(definition, d, shown)})`;
  if (top.share !== null)
    return `${head}; ${phrase(top)} drove ${percent(top.share)} of the ${rose ? 'rise' : 'fall'}.`;
  const same = drivers.filter((d) => d.dimension === top.dimension);
  const along = same.find((d) => d.effect > 0 === rose);
  const against = same.find((d) => d.effect > 0 !== rose);
  const effect = (d: Driver) =>
    `${memberPhrase(d, shown)} ${shown.change(definition.unit, d.effect).text} (${howWords(definition, d, shown)})`;
  const parts = [along, against].filter((d): d is Driver => d !== undefined).map(effect);
  return `${head}; by ${top.dimension}, ${parts.join(', partly offset by ')}.`;
}
