import { display, type Display, type DisplayChoices } from '../../kpis/format.ts';
import type { KpiReport, KpiResult, KpiUnit, MeasuredKpi } from '../../kpis/types.ts';
import { cutLabel } from '../html.ts';
import { describeSlice } from '../../config/schema.ts';

/**
 * What the finance report reads from the lake besides kpis.json: the trc mart summed over the
 * period, the previous period and the same period last year, and month by month over 13 months.
 * Plain JSON, so the render stage can hand it over as is and a test can build one by hand.
 */
export type FinanceWindow = 'current' | 'previous' | 'lastYear';
export const financeWindows: readonly FinanceWindow[] = ['current', 'previous', 'lastYear'];

export interface FinancePeriod {
  id: string;
  label: string;
  months: string[];
}

/** Amounts of one thing in each window; null where the window has no trc rows for it (no data, "–"). */
export type FinanceAmounts = Record<FinanceWindow, number | null>;

/** Why a figure has no number at all: the entities it needs that no source provides. */
export interface NotMeasured {
  notMeasured: string;
}

/**
 * A figure the finance report prints: its amounts (a window without data null, printed "–"), or
 * why it cannot be measured at all, printed as such and never as 0 (docs/design.md, "What users touch").
 */
export type Measured<T> = T | NotMeasured;

export const isNotMeasured = <T>(value: Measured<T>): value is NotMeasured =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && 'notMeasured' in value;

export interface FinanceMember extends FinanceAmounts {
  member: string;
}

export interface FinanceDetailRow extends FinanceAmounts {
  category: string;
  channel: string;
  team: string;
}

export interface FinanceSlice {
  team?: string;
  channel?: string;
  segment?: string;
}

export interface FinanceInputs {
  windows: Record<FinanceWindow, FinancePeriod>;
  slice: FinanceSlice | null;
  /** Direct labour + cost ledger: not measured when either is. */
  total: Measured<FinanceAmounts>;
  components: { directLabour: Measured<FinanceAmounts>; ledger: Measured<FinanceAmounts> };
  breakdowns: { category: FinanceMember[]; channel: FinanceMember[]; team: FinanceMember[]; segment: FinanceMember[] };
  /**
   * Revenue per segment (MRR summed month by month, as service margin counts it); null where the
   * slice cannot carry revenue (a team's or a channel's costs have no customers' revenue); not
   * measured without the entities revenue comes from.
   */
  segmentRevenue: Measured<FinanceMember[]> | null;
  /** category × channel × team, every combination with a trc row in some window. */
  detail: FinanceDetailRow[];
  /**
   * The 13 months ending at the period's last month, oldest first. `firstMonth` is the first month
   * with a cost record of any source (null: none): a month before it has no data, not a cost of 0.
   */
  history: {
    months: string[];
    firstMonth: string | null;
    points: { month: string; category: string; amount: number }[];
  };
}

/** One line of a breakdown: this period against the previous one and last year. */
/** A number against the previous period and the same period last year. */
export interface Comparisons {
  previous: number | null;
  lastYear: number | null;
  change: number | null;
  changeRatio: number | null;
  changeLastYear: number | null;
  changeRatioLastYear: number | null;
}

export interface FinanceLine extends Comparisons {
  member: string;
  current: number | null;
  /** current ÷ the breakdown's current total. */
  share: number | null;
  /** Why the line has no number at all (then every amount is null), or null. */
  notMeasured: string | null;
}

export interface UnitCostLine extends Comparisons {
  id: string;
  label: string;
  unit: KpiUnit;
  value: number | null;
  notMeasured: string | null;
}

export interface SegmentLine {
  segment: string;
  costToServe: FinanceLine;
  revenue: FinanceAmounts;
  margin: FinanceLine;
}

export interface FinanceModel {
  /** Notices above everything else (a stale source, rejected cost rows). */
  banners: string[];
  subject: string;
  title: string;
  periodId: string;
  periodLabel: string;
  previousLabel: string;
  lastYearLabel: string;
  timezone: string;
  currency: string;
  /** Numbers, months and codes in the config's locale and labels, as the other reports print them. */
  display: Display;
  sliceLabel: string | null;
  /** The headline, from kpis.json (the contract). */
  trc: UnitCostLine;
  unitCosts: UnitCostLine[];
  components: { directLabour: FinanceLine; ledger: FinanceLine };
  /**
   * Set when one cost component is not measured: the breakdown tables then hold the other one
   * only (`only`, "cost ledger"), and `missing` says which is not and why.
   */
  partial: { only: string; missing: string } | null;
  byCategory: FinanceLine[];
  byChannel: FinanceLine[];
  byTeam: FinanceLine[];
  segments: SegmentLine[];
  costToServe: UnitCostLine | null;
  serviceMargin: UnitCostLine | null;
  detail: FinanceDetailRow[];
  history: FinanceInputs['history'];
  /** Where the mart's tables and kpis.json's numbers disagree by a cent or more, one sentence each. */
  discrepancies: string[];
}

export const unitCostKpis = ['cost_per_ticket', 'cost_per_resolution', 'cost_per_contact_minute'];
export const financeKpis = [
  'total_cost_of_response',
  ...unitCostKpis,
  'cost_to_serve_by_segment',
  'service_margin_by_segment',
];

const isMeasured = (k: KpiResult | undefined): k is MeasuredKpi => Boolean(k) && k!.status !== 'not_measured';

const noAmounts: FinanceAmounts = { current: null, previous: null, lastYear: null };

const ratio = (change: number | null, base: number | null): number | null =>
  change === null || base === null || base === 0 ? null : change / Math.abs(base);
const minus = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a - b);

export function financeLine(member: string, amounts: FinanceAmounts, total: number | null): FinanceLine {
  const change = minus(amounts.current, amounts.previous);
  const changeLastYear = minus(amounts.current, amounts.lastYear);
  return {
    member,
    current: amounts.current,
    previous: amounts.previous,
    lastYear: amounts.lastYear,
    change,
    changeRatio: ratio(change, amounts.previous),
    changeLastYear,
    changeRatioLastYear: ratio(changeLastYear, amounts.lastYear),
    share: amounts.current === null || !total ? null : amounts.current / total,
    notMeasured: null,
  };
}

/** A line with no number in any window, and why. */
export function notMeasuredLine(member: string, notMeasured: string): FinanceLine {
  return { ...financeLine(member, noAmounts, null), notMeasured };
}

/** Largest first (by this period, then by last period), so "top N" is the top of the list. */
const byAmount = (a: FinanceLine, b: FinanceLine) =>
  (b.current ?? -Infinity) - (a.current ?? -Infinity) ||
  (b.previous ?? -Infinity) - (a.previous ?? -Infinity) ||
  a.member.localeCompare(b.member);

type Presence = Record<FinanceWindow, boolean>;

/** Which windows hold any row at all: there, a member without rows has 0; elsewhere it is unknown (null). */
const presence = (rows: FinanceAmounts[]): Presence =>
  Object.fromEntries(financeWindows.map((w) => [w, rows.some((r) => r[w] !== null)])) as Presence;

/**
 * Which windows the cost sources had begun by (their last month at or after the first month with
 * a cost record): there, a member without rows cost nothing (0); before, there is no data (null).
 */
const costPresence = (inputs: FinanceInputs): Presence => {
  const first = inputs.history.firstMonth ?? null;
  return Object.fromEntries(
    financeWindows.map((w) => [w, first !== null && inputs.windows[w].months.at(-1)! >= first]),
  ) as Presence;
};

const filled = (amounts: FinanceAmounts, present: Presence): FinanceAmounts =>
  Object.fromEntries(financeWindows.map((w) => [w, amounts[w] ?? (present[w] ? 0 : null)])) as FinanceAmounts;

function lines(members: FinanceMember[], total: number | null, present: Presence): FinanceLine[] {
  return members.map((m) => financeLine(m.member, filled(m, present), total)).sort(byAmount);
}

function kpiLine(id: string, kpi: KpiResult | undefined): UnitCostLine {
  if (!isMeasured(kpi)) {
    return {
      id,
      label: kpi?.label ?? id,
      unit: kpi?.unit ?? 'currency',
      value: null,
      previous: null,
      lastYear: null,
      change: null,
      changeRatio: null,
      changeLastYear: null,
      changeRatioLastYear: null,
      notMeasured: kpi?.notMeasured ?? 'not in kpis.json',
    };
  }
  return {
    id,
    label: kpi.label,
    unit: kpi.unit,
    value: kpi.value,
    previous: kpi.previous,
    lastYear: kpi.lastYear,
    change: kpi.change,
    changeRatio: kpi.changeRatio,
    changeLastYear: kpi.changeLastYear,
    changeRatioLastYear: ratio(kpi.changeLastYear, kpi.lastYear),
    notMeasured: null,
  };
}

const sum = (values: (number | null)[]): number | null =>
  values.some((v) => v !== null) ? values.reduce<number>((s, v) => s + (v ?? 0), 0) : null;

function sumWindows(rows: FinanceAmounts[]): FinanceAmounts {
  return {
    current: sum(rows.map((r) => r.current)),
    previous: sum(rows.map((r) => r.previous)),
    lastYear: sum(rows.map((r) => r.lastYear)),
  };
}

/** The amounts of a figure, none where it is not measured. */
const amountsOf = (figure: Measured<FinanceAmounts>): FinanceAmounts => (isNotMeasured(figure) ? noAmounts : figure);
/** The revenue by segment, null where the slice carries none or it is not measured. */
const revenueOf = (inputs: FinanceInputs): FinanceMember[] | null =>
  inputs.segmentRevenue === null || isNotMeasured(inputs.segmentRevenue) ? null : inputs.segmentRevenue;

/** Why margin has no number: revenue or cost not measured (null: it is measured, or the slice carries no revenue). */
function marginNotMeasured(inputs: FinanceInputs): string | null {
  const reasons = [inputs.segmentRevenue, inputs.total].filter((f) => f !== null && isNotMeasured(f));
  return reasons.length ? reasons.map((f) => (f as NotMeasured).notMeasured).join('; ') : null;
}

/**
 * Cost to serve from the mart beside revenue: margin = revenue − cost to serve, window by window;
 * margin not measured (never revenue 0 − cost) where revenue or part of the cost is not.
 */
function segmentLines(inputs: FinanceInputs): SegmentLine[] {
  const costPresent = costPresence(inputs);
  const unmeasured = marginNotMeasured(inputs);
  const revenuePresent = presence(revenueOf(inputs) ?? []);
  const cost = new Map(inputs.breakdowns.segment.map((m) => [m.member, filled(m, costPresent)]));
  const revenue = new Map((revenueOf(inputs) ?? []).map((m) => [m.member, filled(m, revenuePresent)]));
  const costTotal = sumWindows(inputs.breakdowns.segment).current;
  const none = (present: Presence) => filled({ current: null, previous: null, lastYear: null }, present);
  const segments = [...new Set([...cost.keys(), ...revenue.keys()])];
  const margins = segments.map((segment) => {
    const c = cost.get(segment) ?? none(costPresent);
    const r = revenue.get(segment) ?? none(revenuePresent);
    const margin = Object.fromEntries(
      financeWindows.map((w) => [
        w,
        revenueOf(inputs) === null || (c[w] === null && r[w] === null) ? null : (r[w] ?? 0) - (c[w] ?? 0),
      ]),
    ) as FinanceAmounts;
    return { segment, c, r, margin };
  });
  const marginTotal = sum(margins.map((m) => m.margin.current));
  return margins
    .map(({ segment, c, r, margin }) => ({
      segment,
      costToServe: financeLine(segment, c, costTotal),
      revenue: unmeasured ? noAmounts : r,
      margin: unmeasured ? notMeasuredLine(segment, unmeasured) : financeLine(segment, margin, marginTotal),
    }))
    .sort((a, b) => byAmount(a.costToServe, b.costToServe));
}

const cents = (value: number) => Math.round(value * 100);

/**
 * Mart and kpis.json give the same number twice here: they must agree to the cent. Totals, and
 * the category and team members, agree for every period by construction. What is split by handle
 * time (channels, segments, so cost to serve and margin) agrees for a one-month period only: the
 * mart allocates month by month, the KPI over the whole period at once, so a quarter's shares
 * differ. Cost to serve and margin leave out what the mart holds as "unallocated" (a month
 * without tickets), as the KPI does.
 */
function reconcile(
  report: KpiReport,
  model: Pick<FinanceModel, 'trc' | 'costToServe' | 'serviceMargin' | 'byCategory' | 'byTeam'>,
  inputs: FinanceInputs,
  segments: SegmentLine[],
  money: (v: number) => string,
): string[] {
  const found: string[] = [];
  const check = (what: string, kpiValue: number | null, martValue: number | null) => {
    if (kpiValue === null || martValue === null) return;
    if (cents(kpiValue) !== cents(martValue))
      found.push(`${what}: ${money(kpiValue)} in kpis.json, ${money(martValue)} in the trc mart`);
  };
  const mart = amountsOf(inputs.total);
  const current = inputs.windows.current.label;
  check(`Total cost of response, ${current}`, model.trc.value ?? null, mart.current ?? 0);
  check(`Total cost of response, ${inputs.windows.previous.label}`, model.trc.previous, mart.previous ?? 0);
  check(`Total cost of response, ${inputs.windows.lastYear.label}`, model.trc.lastYear, mart.lastYear ?? 0);
  const trc = report.kpis.total_cost_of_response;
  if (isMeasured(trc)) {
    for (const [dimension, lines] of [
      ['category', model.byCategory],
      ['team', model.byTeam],
    ] as const) {
      const kpiMembers = trc.breakdowns[dimension];
      if (!kpiMembers) continue;
      const martMembers = new Map(lines.map((l) => [l.member, l.current]));
      for (const member of new Set([...Object.keys(kpiMembers), ...martMembers.keys()])) {
        check(
          `${dimension} ${cutLabel(member, 40)}, ${current}`,
          kpiMembers[member] ?? 0,
          martMembers.get(member) ?? 0,
        );
      }
    }
  }
  const allocated = segments.filter((s) => s.segment !== 'unallocated');
  const oneMonth = inputs.windows.current.months.length === 1;
  if (oneMonth && !inputs.slice && model.costToServe?.value !== undefined) {
    check(`Cost to serve, ${current}`, model.costToServe.value, sum(allocated.map((s) => s.costToServe.current)) ?? 0);
  }
  if (oneMonth && !inputs.slice && revenueOf(inputs) && model.serviceMargin?.value !== undefined) {
    check(`Service margin, ${current}`, model.serviceMargin.value, sum(allocated.map((s) => s.margin.current)) ?? 0);
  }
  return found;
}

/** Counts with thousands separators, built once: an Intl.NumberFormat costs far more to build than to use. */
const countFormat = new Intl.NumberFormat('en-US');

/**
 * The cost rows extract rejected, by source and reason, in one sentence (null when none): the
 * total leaves them out, so the report says so beside it (docs/design.md, "Bad input").
 */
export function rejectedCostRows(report: KpiReport): string | null {
  const sources = report.dataQuality.sources.filter((s) => s.entity === 'costs' && s.rowsRejected > 0);
  if (sources.length === 0) return null;
  const rows = sources.reduce((n, s) => n + s.rowsRejected, 0);
  const count = countFormat.format;
  const bySource = sources.map((s) => {
    const reasons = Object.entries(s.rejectedByReason)
      .sort(([a, m], [b, n]) => n - m || a.localeCompare(b))
      .map(([reason, n]) => `${reason} × ${count(n)}`);
    return `${cutLabel(s.source, 40)}: ${reasons.join(', ')}`;
  });
  return `${count(rows)} cost ${rows === 1 ? 'row was' : 'rows were'} rejected and ${rows === 1 ? 'is' : 'are'} not in these numbers (${bySource.join('; ')}); each is under rejects/costs/ in the lake with its file, line and field.`;
}

/** Why service margin has no number, from kpis.json or the inputs (null: it has one, or is not shown). */
export function marginReason(model: Pick<FinanceModel, 'serviceMargin' | 'segments'>): string | null {
  if (!model.serviceMargin) return null;
  return (
    model.serviceMargin.notMeasured ??
    model.segments.find((s) => s.margin.notMeasured !== null)?.margin.notMeasured ??
    null
  );
}

export function describeFinanceSlice(slice: FinanceSlice | null): string | null {
  return (slice && describeSlice({ ...slice })) || null;
}

/** The finance report as data: what the layout, the text part and the workbook all print. */
export function financeModel(
  report: KpiReport,
  inputs: FinanceInputs,
  audience: { name: string; kpis?: string[] | undefined; banners?: string[] | undefined } & DisplayChoices,
): FinanceModel {
  const exact = new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: report.currency,
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });
  const shown = new Set(audience.kpis ?? financeKpis);
  const sliceLabel = describeFinanceSlice(inputs.slice);
  const trc = kpiLine('total_cost_of_response', report.kpis.total_cost_of_response);
  const present = costPresence(inputs);
  const labour = inputs.components.directLabour;
  const ledger = inputs.components.ledger;
  // Shares are of what the tables hold: the total, or the one component measured.
  const measuredParts = [labour, ledger].filter((c) => !isNotMeasured(c)) as FinanceAmounts[];
  const total = isNotMeasured(inputs.total) ? sumWindows(measuredParts).current : inputs.total.current;
  const component = (label: string, figure: Measured<FinanceAmounts>) =>
    isNotMeasured(figure)
      ? notMeasuredLine(label, figure.notMeasured)
      : financeLine(label, filled(figure, present), total);
  const partial =
    isNotMeasured(labour) && !isNotMeasured(ledger)
      ? { only: 'cost ledger', missing: `direct labour is not measured (${labour.notMeasured})` }
      : isNotMeasured(ledger) && !isNotMeasured(labour)
        ? { only: 'direct labour', missing: `the cost ledger is not measured (${ledger.notMeasured})` }
        : null;
  const costToServe = shown.has('cost_to_serve_by_segment')
    ? kpiLine('cost_to_serve_by_segment', report.kpis.cost_to_serve_by_segment)
    : null;
  const serviceMargin =
    shown.has('service_margin_by_segment') && inputs.segmentRevenue !== null
      ? kpiLine('service_margin_by_segment', report.kpis.service_margin_by_segment)
      : null;
  const segments = segmentLines(inputs);
  const byCategory = lines(inputs.breakdowns.category, total, present);
  const byTeam = lines(inputs.breakdowns.team, total, present);
  const title = 'Total cost of response';
  return {
    banners: [...(audience.banners ?? []), ...[rejectedCostRows(report)].filter((b) => b !== null)],
    subject: `${title} — ${report.period.label}${sliceLabel ? ` (${sliceLabel})` : ''}`,
    title,
    periodId: report.period.id,
    periodLabel: report.period.label,
    previousLabel: inputs.windows.previous.label,
    lastYearLabel: inputs.windows.lastYear.label,
    timezone: report.timezone,
    currency: report.currency,
    display: display({ currency: report.currency, locale: audience.locale, labels: audience.labels }),
    sliceLabel,
    trc,
    unitCosts: unitCostKpis.filter((id) => shown.has(id)).map((id) => kpiLine(id, report.kpis[id])),
    components: {
      directLabour: component('Direct labour', labour),
      ledger: component('Cost ledger', ledger),
    },
    partial,
    byCategory,
    byChannel: lines(inputs.breakdowns.channel, total, present),
    byTeam,
    segments,
    costToServe,
    serviceMargin,
    detail: inputs.detail
      .map((row) => ({ ...row, ...filled(row, present) }))
      .sort(
        (a, b) =>
          (b.current ?? -Infinity) - (a.current ?? -Infinity) ||
          a.category.localeCompare(b.category) ||
          a.channel.localeCompare(b.channel) ||
          a.team.localeCompare(b.team),
      ),
    history: inputs.history,
    discrepancies: reconcile(report, { trc, costToServe, serviceMargin, byCategory, byTeam }, inputs, segments, (v) =>
      exact.format(v),
    ),
  };
}
