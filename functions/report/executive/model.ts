import { addMonths, lastYearPeriod, previousPeriod, shortSpan } from '../../kpis/period.ts';
import { cutLabel } from '../html.ts';
import type { DataQuality, Forecast, KpiFamily, KpiReport, KpiResult, MeasuredKpi } from '../../kpis/types.ts';
import { describeSlice } from '../../config/schema.ts';

/**
 * The executive scorecard as data: what the layout and the text part both print. Someone
 * reading it on a phone should understand the month in two minutes, so it leads with a few
 * headline KPIs (value, status in colour and in words, change against last period and last
 * year, target, 13-month trend), then why things moved, then what next month needs, then one
 * section per KPI family.
 */
export interface ExecutiveModel {
  subject: string;
  title: string;
  periodLabel: string;
  /** The month before the period and the same period a year earlier, as the change columns name them. */
  previousLabel: string;
  lastYearLabel: string;
  timezone: string;
  currency: string;
  slice: string | null;
  banners: string[];
  headline: MeasuredKpi[];
  explanations: string[];
  forecast: Forecast | null;
  families: FamilySection[];
  notMeasured: string[];
  dataQuality: DataQuality;
}

export interface FamilySection {
  family: KpiFamily;
  title: string;
  kpis: MeasuredKpi[];
  /** The KPI whose 13 months the section's chart draws, when a chart says more than the numbers. */
  chart: MeasuredKpi | null;
}

export const headlineKpis = [
  'tickets_created',
  'tickets_solved',
  'backlog_open',
  'first_reply_time',
  'full_resolution_time',
  'sla_attainment',
  'csat',
  'cost_per_ticket',
];

/** The sections after the headline, in reading order, each with the KPI its chart draws. */
const sections: { family: KpiFamily; title: string; chart: string | null }[] = [
  { family: 'volume', title: 'Volume', chart: 'tickets_created' },
  { family: 'speed', title: 'Speed', chart: 'first_reply_time' },
  { family: 'effort', title: 'Effort', chart: null },
  { family: 'customers', title: 'Customers', chart: 'csat' },
  { family: 'cost', title: 'Cost', chart: 'total_cost_of_response' },
  { family: 'orders', title: 'Orders', chart: null },
  { family: 'agents', title: 'Agents', chart: null },
  { family: 'ease', title: 'Self-service', chart: null },
];

const isMeasured = (k: KpiResult | undefined): k is MeasuredKpi => Boolean(k) && k!.status !== 'not_measured';

const monthNames = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const shortMonth = (month: string) => `${monthNames[Number(month.slice(5, 7)) - 1]} ${month.slice(0, 4)}`;

export interface ExecutiveOptions {
  kpis?: string[] | undefined;
  banners?: string[] | undefined;
}

export function executiveModel(report: KpiReport, audience: ExecutiveOptions): ExecutiveModel {
  const chosen = audience.kpis ? new Set(audience.kpis) : null;
  const visible = Object.values(report.kpis).filter((k) => !chosen || chosen.has(k.id));
  const measured = visible
    .filter(isMeasured)
    .filter((k) => k.id !== 'brand_terms' && k.id !== 'competitor_gap' && k.id !== 'csat_change');
  const first = report.period.months[0]!;
  const slice = report.slice ? cutLabel(describeSlice(report.slice)) : null;
  const title = 'Customer service scorecard';
  return {
    subject: `${title} — ${report.period.label}${slice ? ` (${slice})` : ''}`,
    title,
    periodLabel: report.period.label,
    // A period to date is compared with the same days before it, and says which (1–6 Nov 2026).
    previousLabel: report.period.partial
      ? shortSpan(previousPeriod(report.period))
      : report.period.months.length === 1
        ? shortMonth(addMonths(first, -1))
        : 'previous period',
    lastYearLabel: report.period.partial
      ? shortSpan(lastYearPeriod(report.period))
      : report.period.months.length === 1
        ? shortMonth(addMonths(first, -12))
        : 'last year',
    timezone: report.timezone,
    currency: report.currency,
    slice,
    banners: audience.banners ?? [],
    headline: (chosen ? [...chosen] : headlineKpis).map((id) => report.kpis[id]).filter(isMeasured),
    explanations: visible.flatMap((k) => (k.status !== 'not_measured' && k.explanation ? [k.explanation] : [])),
    forecast: report.forecast,
    families: sections
      .map((s) => {
        const kpis = measured.filter((k) => k.family === s.family);
        const chart = kpis.find((k) => k.id === s.chart && k.history.some((p) => p.value !== null)) ?? null;
        return { family: s.family, title: s.title, kpis, chart };
      })
      .filter((s) => s.kpis.length > 0),
    notMeasured: visible.filter((k) => k.status === 'not_measured').map((k) => k.label),
    dataQuality: report.dataQuality,
  };
}
