import { display, type Display, type DisplayChoices } from '../../kpis/format.ts';
import { addMonths, lastYearPeriod, previousPeriod, shortSpan } from '../../kpis/period.ts';
import { cutLabel } from '../html.ts';
import type {
  DataQuality,
  Forecast,
  KpiFamily,
  KpiReport,
  KpiResult,
  MeasuredKpi,
  NotMeasuredKpi,
} from '../../kpis/types.ts';
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
  /** Numbers, months and codes in the config's locale and labels. */
  display: Display;
  slice: string | null;
  banners: string[];
  headline: MeasuredKpi[];
  explanations: string[];
  forecast: Forecast | null;
  families: FamilySection[];
  /** The KPIs with no number, grouped by why (the reason kpis.json gives), in catalog order. */
  notMeasured: { reason: string; labels: string[] }[];
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

/** Labels grouped by their not-measured reason, each group where its first KPI comes. */
function byReason(kpis: NotMeasuredKpi[]): ExecutiveModel['notMeasured'] {
  const groups = new Map<string, string[]>();
  for (const k of kpis) groups.set(k.notMeasured, [...(groups.get(k.notMeasured) ?? []), k.label]);
  return [...groups].map(([reason, labels]) => ({ reason, labels }));
}

const isMeasured = (k: KpiResult | undefined): k is MeasuredKpi => Boolean(k) && k!.status !== 'not_measured';

export interface ExecutiveOptions extends DisplayChoices {
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
  const title = 'Customer service scorecard';
  const shown = display({ currency: report.currency, locale: audience.locale, labels: audience.labels });
  const slice = report.slice ? cutLabel(describeSlice(report.slice, shown.label)) : null;
  return {
    subject: `${title} — ${report.period.label}${slice ? ` (${slice})` : ''}`,
    title,
    periodLabel: report.period.label,
    // A period to date is compared with the same days before it, and says which (1–6 Nov 2026).
    previousLabel: report.period.partial
      ? shortSpan(previousPeriod(report.period))
      : report.period.months.length === 1
        ? shown.month(addMonths(first, -1))
        : 'previous period',
    lastYearLabel: report.period.partial
      ? shortSpan(lastYearPeriod(report.period))
      : report.period.months.length === 1
        ? shown.month(addMonths(first, -12))
        : 'last year',
    timezone: report.timezone,
    currency: report.currency,
    display: shown,
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
    notMeasured: byReason(visible.flatMap((k) => (k.status === 'not_measured' ? [k] : []))),
    dataQuality: report.dataQuality,
  };
}
