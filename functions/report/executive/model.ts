import type { DataQuality, Forecast, KpiReport, KpiResult, MeasuredKpi } from '../../kpis/types.ts';

/** The executive scorecard as data: what the layout and the text part both print. */
export interface ExecutiveModel {
  subject: string;
  periodLabel: string;
  timezone: string;
  currency: string;
  headline: MeasuredKpi[];
  explanations: string[];
  forecast: Forecast | null;
  volume: MeasuredKpi | undefined;
  notMeasured: string[];
  dataQuality: DataQuality;
}

export const headlineKpis = ['tickets_created', 'tickets_solved', 'backlog_open', 'first_reply_time', 'full_resolution_time', 'replied_within_24h_rate', 'resolved_within_2d_rate', 'sla_attainment', 'one_touch_rate', 'reopen_rate', 'escalation_rate', 'csat'];

const isMeasured = (k: KpiResult | undefined): k is MeasuredKpi => Boolean(k) && k!.status !== 'not_measured';

export function executiveModel(report: KpiReport, audience: { kpis?: string[] | undefined }): ExecutiveModel {
  const all = Object.values(report.kpis);
  const created = report.kpis.tickets_created;
  return {
    subject: `Customer service scorecard — ${report.period.label}`,
    periodLabel: report.period.label,
    timezone: report.timezone,
    currency: report.currency,
    headline: (audience.kpis ?? headlineKpis).map((id) => report.kpis[id]).filter(isMeasured),
    explanations: all.flatMap((k) => (k.status !== 'not_measured' && k.explanation ? [k.explanation] : [])),
    forecast: report.forecast,
    volume: isMeasured(created) ? created : undefined,
    notMeasured: all.filter((k) => k.status === 'not_measured').map((k) => k.label),
    dataQuality: report.dataQuality,
  };
}
