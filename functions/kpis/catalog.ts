import type { EntityName } from '../model/index.ts';
import type { KpiDirection, KpiFamily, KpiUnit } from './types.ts';

/**
 * The KPI catalog as data: each entry yields the KPI's computation key, its label in the
 * e-mail and its row in docs/kpis.md. Definitions follow the products people already trust;
 * `basis` names the one each follows.
 */
export interface KpiDefinition {
  id: string;
  label: string;
  family: KpiFamily;
  unit: KpiUnit;
  direction: KpiDirection;
  /** Entities that must have a source; any one missing makes the KPI notMeasured. */
  inputs: readonly EntityName[];
  /** Alternative inputs: at least one of these must have a source. */
  anyOf?: readonly EntityName[];
  /**
   * A total (numerator only): 0 when nothing happened in the period. Every other KPI has no value
   * (null, n = 0) when it has nothing to measure.
   */
  sum?: true;
  /** A survey KPI: its stats carry the response rate, answers ÷ tickets solved in the period. */
  survey?: true;
  /**
   * The 95% margin of error a survey KPI carries in its stats (docs/rules.md, "Samples"): the
   * Wilson interval of a ratio, or the promoter − detractor standard error of an NPS.
   */
  margin?: 'wilson' | 'netPromoter';
  /**
   * The KPI whose denominator counts this one's sample, when this one's denominator is money
   * (revenue churn rests on the customers active at the start, not on dollars).
   */
  sampleOf?: string;
  /** The config key that must be present (competitor_gap needs benchmarks). */
  needsConfig?: 'benchmarks';
  /**
   * How the KPI is computed when not by the KPI queries of sql/kpis/ (the default): from survey
   * comments (brand terms), or from the other KPIs (competitor gap, CSAT change).
   */
  computedBy?: 'brandTerms' | 'competitorGap' | 'csatChange';
  /** The KPI a computation reads (CSAT change: csat), so that evaluate names no KPI of its own. */
  computedFrom?: string;
  /** Fields (entity.field) some source must fill: an API without them cannot feed the KPI (CONNECTORS.md). */
  fields?: readonly string[];
  /** Fields needed when an anyOf alternative is the one present (csat from ticket ratings when there are no surveys). */
  fieldsWithout?: { entity: EntityName; fields: readonly string[] };
  /**
   * How a period of several whole months (a quarter, a range) is measured, declared for every KPI
   * the queries of sql/kpis/ measure (docs/design.md, "Quarters and ranges"): `sum` when each of
   * its rows is a ratio row whose numerator and denominator are counts or sums over records that
   * each fall in one month, so the period's rows are its months' kpi_monthly rows summed; else
   * `{ whole }`, why not, and its query runs over the curated rows of the whole period.
   */
  acrossMonths?: AcrossMonths;
  description: string;
  basis: string;
}

/** A KPI or side measure summed from its months' kpi_monthly rows, or measured over the whole period and why. */
export type AcrossMonths = 'sum' | { whole: string };

const k = (d: KpiDefinition): KpiDefinition => d;

/** A duration's median and p90 are quantiles of all the period's records: no sum of monthly ones. */
const quantiles: AcrossMonths = { whole: 'a median and a p90 are not sums of monthly ones' };
/**
 * Money is summed exactly (decimal) and stored as a double: the months' doubles added again need not
 * be the double of the period's exact sum.
 */
const money: AcrossMonths = {
  whole: "kpi_monthly holds each month's exact money sum as a double: re-added, the last bit may differ",
};
/** Churn and the MRR movements compare the day before the period with its last day. */
const stock = (of: string): AcrossMonths => ({
  whole: `a stock: ${of} on the day before the period against its last day`,
});

export const kpiCatalog: readonly KpiDefinition[] = [
  // volume
  k({
    id: 'tickets_created',
    acrossMonths: 'sum',
    sum: true,
    label: 'Tickets created',
    family: 'volume',
    unit: 'count',
    direction: 'neutral',
    inputs: ['tickets'],
    description:
      'Tickets created in the period (by created_at), by channel, category, priority, weekday, day of month and month.',
    basis: 'Zendesk Explore: Tickets created',
  }),
  k({
    id: 'tickets_solved',
    acrossMonths: 'sum',
    sum: true,
    label: 'Tickets solved',
    family: 'volume',
    unit: 'count',
    direction: 'higher',
    inputs: ['tickets'],
    description: 'Tickets whose last solve falls in the period.',
    basis: 'Zendesk Explore: Tickets solved',
  }),
  k({
    id: 'backlog_open',
    acrossMonths: { whole: 'a stock: the tickets open at the end of the last month, not a sum of months' },
    sum: true,
    label: 'Open backlog',
    family: 'volume',
    unit: 'count',
    direction: 'lower',
    inputs: ['tickets'],
    description:
      'Tickets created before the period end and neither solved nor closed before it, rebuilt from timestamps.',
    basis: 'Zendesk Explore: Unsolved tickets',
  }),
  k({
    id: 'complaints',
    acrossMonths: 'sum',
    sum: true,
    label: 'Complaints',
    family: 'volume',
    unit: 'count',
    direction: 'lower',
    inputs: ['tickets'],
    description: 'Tickets created in the period whose category is one of the configured complaint categories.',
    basis: 'ISO 10002 complaint handling',
  }),
  k({
    id: 'complaint_escalation_trend',
    acrossMonths: 'sum',
    label: 'Complaints escalated',
    family: 'volume',
    unit: 'ratio',
    direction: 'lower',
    inputs: ['tickets'],
    description: 'Share of complaints escalated, month by month.',
    basis: 'ISO 10002 complaint handling',
    fields: ['tickets.is_escalated'],
  }),
  // speed
  k({
    id: 'first_reply_time',
    acrossMonths: quantiles,
    label: 'First reply time',
    family: 'speed',
    unit: 'seconds',
    direction: 'lower',
    inputs: ['tickets'],
    description: 'Created → first public agent reply, tickets created in the period (median; p90 and mean beside).',
    basis: 'Zendesk: First reply time (calendar)',
  }),
  k({
    id: 'full_resolution_time',
    acrossMonths: quantiles,
    label: 'Full resolution time',
    family: 'speed',
    unit: 'seconds',
    direction: 'lower',
    inputs: ['tickets'],
    description: 'Created → last solve, tickets solved in the period (median; p90 and mean beside).',
    basis: 'Zendesk: Full resolution time (calendar)',
  }),
  k({
    id: 'replied_within_24h_rate',
    acrossMonths: 'sum',
    label: 'Replied within 24 h',
    family: 'speed',
    unit: 'ratio',
    direction: 'higher',
    inputs: ['tickets'],
    description: 'Of tickets created in the period that got a first reply, the share replied within 24 h (≤).',
    basis: 'Zendesk: First reply time brackets',
  }),
  k({
    id: 'resolved_within_2d_rate',
    acrossMonths: 'sum',
    label: 'Resolved within 2 days',
    family: 'speed',
    unit: 'ratio',
    direction: 'higher',
    inputs: ['tickets'],
    description: 'Of tickets solved in the period, the share solved within 48 h (≤).',
    basis: 'Zendesk: Full resolution time brackets',
  }),
  k({
    id: 'sla_attainment',
    acrossMonths: 'sum',
    label: 'SLA attainment',
    family: 'speed',
    unit: 'ratio',
    direction: 'higher',
    inputs: ['tickets'],
    description:
      'Of tickets solved in the period, the share meeting both the first-reply and resolution targets of their priority.',
    basis: 'Zendesk SLA policies: achieved ÷ (achieved + breached)',
  }),
  k({
    id: 'handle_time',
    acrossMonths: quantiles,
    label: 'Handle time',
    family: 'speed',
    unit: 'seconds',
    direction: 'lower',
    inputs: ['contacts'],
    description: 'Talk + hold + after-contact work of answered contacts queued in the period.',
    basis: 'Amazon Connect: Average handle time',
  }),
  k({
    id: 'service_level',
    acrossMonths: 'sum',
    label: 'Service level',
    family: 'speed',
    unit: 'ratio',
    direction: 'higher',
    inputs: ['contacts'],
    description: 'Contacts answered within serviceLevelSeconds ÷ all queued, abandoned included.',
    basis: 'Amazon Connect: Service level X seconds',
  }),
  k({
    id: 'abandonment_rate',
    acrossMonths: 'sum',
    label: 'Abandonment rate',
    family: 'speed',
    unit: 'ratio',
    direction: 'lower',
    inputs: ['contacts'],
    description: 'Abandoned ÷ queued contacts.',
    basis: 'Amazon Connect: Contact abandoned rate',
  }),
  k({
    id: 'queue_answer_time',
    acrossMonths: quantiles,
    label: 'Queue answer time',
    family: 'speed',
    unit: 'seconds',
    direction: 'lower',
    inputs: ['contacts'],
    description: 'Enqueue → answer of answered contacts.',
    basis: 'Amazon Connect: Average queue answer time',
  }),
  // effort
  k({
    id: 'replies_per_solved_ticket',
    acrossMonths: 'sum',
    label: 'Replies per solved ticket',
    family: 'effort',
    unit: 'count',
    direction: 'lower',
    inputs: ['tickets'],
    description: 'Public agent replies per ticket solved in the period.',
    basis: 'Zendesk: Agent replies',
    fields: ['tickets.agent_replies'],
  }),
  k({
    id: 'one_touch_rate',
    acrossMonths: 'sum',
    label: 'One-touch resolution',
    family: 'effort',
    unit: 'ratio',
    direction: 'higher',
    inputs: ['tickets'],
    description: 'Solved tickets with fewer than 2 agent replies (0 included) ÷ solved.',
    basis: 'Zendesk: One-touch tickets',
    fields: ['tickets.agent_replies'],
  }),
  k({
    id: 'reopen_rate',
    acrossMonths: 'sum',
    label: 'Reopen rate',
    family: 'effort',
    unit: 'ratio',
    direction: 'lower',
    inputs: ['tickets'],
    description: 'Solved tickets reopened at least once ÷ solved.',
    basis: 'Zendesk: Reopened tickets',
    fields: ['tickets.reopens'],
  }),
  k({
    id: 'escalation_rate',
    acrossMonths: 'sum',
    label: 'Escalation rate',
    family: 'effort',
    unit: 'ratio',
    direction: 'lower',
    inputs: ['tickets'],
    description: 'Tickets escalated ÷ tickets created in the period.',
    basis: 'MetricNet: Escalation rate',
    fields: ['tickets.is_escalated'],
  }),
  // orders
  k({
    id: 'perfect_order_rate',
    acrossMonths: 'sum',
    label: 'Perfect order rate',
    family: 'orders',
    unit: 'ratio',
    direction: 'higher',
    inputs: ['orders'],
    description: 'Orders in full, on time, with accurate invoice and status updates and no entry errors ÷ orders.',
    basis: 'SCOR RL.1.1 Perfect order fulfillment',
  }),
  k({
    id: 'order_entry_accuracy',
    acrossMonths: 'sum',
    label: 'Order entry accuracy',
    family: 'orders',
    unit: 'ratio',
    direction: 'higher',
    inputs: ['orders'],
    description: 'Orders entered without error ÷ orders entered.',
    basis: 'SCOR',
  }),
  k({
    id: 'first_time_fill_rate',
    acrossMonths: 'sum',
    label: 'First-time fill rate',
    family: 'orders',
    unit: 'ratio',
    direction: 'higher',
    inputs: ['orders'],
    description: 'Σ items shipped in the first shipment ÷ Σ items requested.',
    basis: 'SCOR',
  }),
  k({
    id: 'invoice_accuracy',
    acrossMonths: 'sum',
    label: 'Invoice accuracy',
    family: 'orders',
    unit: 'ratio',
    direction: 'higher',
    inputs: ['orders'],
    description: 'Invoices with no later correction ÷ invoices.',
    basis: 'SCOR',
  }),
  k({
    id: 'order_status_accuracy',
    acrossMonths: 'sum',
    label: 'Order status accuracy',
    family: 'orders',
    unit: 'ratio',
    direction: 'higher',
    inputs: ['orders'],
    description: 'Orders whose status updates were all correct ÷ orders.',
    basis: 'SCOR',
  }),
  k({
    id: 'order_processing_time',
    acrossMonths: quantiles,
    label: 'Order processing time',
    family: 'orders',
    unit: 'seconds',
    direction: 'lower',
    inputs: ['orders'],
    description: 'Order entered → delivered.',
    basis: 'SCOR',
  }),
  k({
    id: 'order_entry_time',
    acrossMonths: quantiles,
    label: 'Order entry time',
    family: 'orders',
    unit: 'seconds',
    direction: 'lower',
    inputs: ['orders'],
    description: 'Order notified → captured in the system.',
    basis: 'SCOR',
  }),
  k({
    id: 'on_time_delivery_rate',
    acrossMonths: 'sum',
    label: 'On-time delivery',
    family: 'orders',
    unit: 'ratio',
    direction: 'higher',
    inputs: ['orders'],
    description: 'Delivered within promisedDeliveryDays of ordering ÷ delivered.',
    basis: 'SCOR',
  }),
  // ease
  k({
    id: 'self_service_clicks',
    acrossMonths: 'sum',
    label: 'Self-service clicks',
    family: 'ease',
    unit: 'count',
    direction: 'lower',
    inputs: ['self_service'],
    description: 'Mean clicks of completed self-service sessions (screens beside it).',
    basis: 'Gartner customer effort',
  }),
  k({
    id: 'self_service_completion_rate',
    acrossMonths: 'sum',
    label: 'Self-service completion',
    family: 'ease',
    unit: 'ratio',
    direction: 'higher',
    inputs: ['self_service'],
    description: 'Completed ÷ started self-service sessions.',
    basis: 'Gartner customer effort',
  }),
  // agents
  k({
    id: 'solved_per_agent',
    acrossMonths: { whole: 'its denominator counts distinct agents with time in the period' },
    label: 'Solved per agent',
    family: 'agents',
    unit: 'count',
    direction: 'higher',
    inputs: ['tickets', 'agent_time'],
    description:
      "Tickets solved with an assignee ÷ agents with time worked in the period; per agent (every agent with time worked, 0 included) beside that agent's CSAT.",
    basis: 'MetricNet: Tickets per agent',
  }),
  k({
    id: 'solved_per_worked_hour',
    acrossMonths: {
      whole: "each agent's row pairs the period's solved tickets with the agent's hours, months without hours included",
    },
    label: 'Solved per worked hour',
    family: 'agents',
    unit: 'count',
    direction: 'higher',
    inputs: ['tickets', 'agent_time'],
    description: 'Tickets solved with an assignee ÷ agent hours worked.',
    basis: 'MetricNet: Agent utilisation',
  }),
  k({
    id: 'agent_turnover_rate',
    acrossMonths: { whole: "a stock: the headcount on the period's first and last day" },
    label: 'Agent turnover',
    family: 'agents',
    unit: 'ratio',
    direction: 'lower',
    inputs: ['agents'],
    description: 'Agents leaving in the period ÷ mean of the headcount on its first and last day.',
    basis: 'MetricNet: Agent turnover',
  }),
  // customers
  k({
    id: 'csat',
    acrossMonths: 'sum',
    survey: true,
    margin: 'wilson',
    label: 'CSAT',
    family: 'customers',
    unit: 'ratio',
    direction: 'higher',
    inputs: [],
    anyOf: ['surveys', 'tickets'],
    description: 'Share of 4-5 among 1-5 CSAT answers in the period; response rate = answers ÷ tickets solved.',
    basis: 'Zendesk / ACSI CSAT',
    fieldsWithout: { entity: 'surveys', fields: ['tickets.satisfaction'] },
  }),
  k({
    id: 'csat_change',
    label: 'CSAT change',
    family: 'customers',
    unit: 'pp',
    direction: 'higher',
    inputs: [],
    anyOf: ['surveys', 'tickets'],
    description: "This period's CSAT − the previous period's; against last year beside it.",
    basis: 'Zendesk / ACSI CSAT',
    fieldsWithout: { entity: 'surveys', fields: ['tickets.satisfaction'] },
    computedBy: 'csatChange',
    computedFrom: 'csat',
  }),
  k({
    id: 'nps',
    acrossMonths: 'sum',
    survey: true,
    margin: 'netPromoter',
    label: 'NPS',
    family: 'customers',
    unit: 'score',
    direction: 'higher',
    inputs: ['surveys'],
    description: '100 × (promoters 9-10 − detractors 0-6) ÷ NPS answers.',
    basis: 'Bain Net Promoter Score',
  }),
  k({
    id: 'ces',
    acrossMonths: 'sum',
    survey: true,
    label: 'Customer effort score',
    family: 'customers',
    unit: 'score',
    direction: 'lower',
    inputs: ['surveys'],
    description: 'Mean CES answer (1-7).',
    basis: 'Gartner CES',
  }),
  k({
    id: 'customer_churn_rate',
    acrossMonths: stock('customers'),
    label: 'Customer churn',
    family: 'customers',
    unit: 'ratio',
    direction: 'lower',
    inputs: ['subscriptions'],
    description:
      'Customers active at the period start with no subscription running on its last day ÷ customers active at the start.',
    basis: 'ChartMogul: Customer churn rate',
  }),
  k({
    id: 'customer_retention_rate',
    acrossMonths: stock('customers'),
    label: 'Customer retention',
    family: 'customers',
    unit: 'ratio',
    direction: 'higher',
    inputs: ['subscriptions'],
    description: '1 − customer churn.',
    basis: 'ChartMogul: Customer retention',
  }),
  k({
    id: 'cohort_retention',
    acrossMonths: { whole: "a stock: each cohort's customers active on the period's last day" },
    label: 'Cohort retention',
    family: 'customers',
    unit: 'ratio',
    direction: 'higher',
    inputs: ['customers', 'subscriptions'],
    description:
      'Share of each signup-month cohort before the period with a subscription running on its last day; value: the cohort of the month before the period.',
    basis: 'ChartMogul: Cohort analysis',
  }),
  k({
    id: 'gross_revenue_churn',
    acrossMonths: stock('MRR'),
    sampleOf: 'customer_churn_rate',
    label: 'Gross revenue churn',
    family: 'customers',
    unit: 'ratio',
    direction: 'lower',
    inputs: ['subscriptions'],
    description: '(Churned + contraction MRR) ÷ MRR at the start.',
    basis: 'ChartMogul: Gross MRR churn rate',
  }),
  k({
    id: 'net_revenue_retention',
    acrossMonths: stock('MRR'),
    sampleOf: 'customer_churn_rate',
    label: 'Net revenue retention',
    family: 'customers',
    unit: 'ratio',
    direction: 'higher',
    inputs: ['subscriptions'],
    description: '(Start + expansion − contraction − churn) ÷ start MRR.',
    basis: 'ChartMogul: Net MRR retention',
  }),
  k({
    id: 'conversion_after_contact_rate',
    acrossMonths: { whole: 'counts distinct customers, whose orders may fall in a later month' },
    label: 'Conversion after contact',
    family: 'customers',
    unit: 'ratio',
    direction: 'higher',
    inputs: ['tickets', 'orders'],
    description:
      'Customers with a ticket created in the period who ordered within conversionWindowDays after one ÷ customers with such a ticket.',
    basis: 'Zendesk: Conversion after support',
  }),
  k({
    id: 'brand_terms',
    label: 'Brand terms',
    family: 'customers',
    unit: 'count',
    direction: 'neutral',
    inputs: ['surveys'],
    description:
      'Most frequent meaningful terms in survey comments (value: comments read); breakdown: term → mentions, and the change against the previous period.',
    basis: 'Text mining of survey verbatims',
    computedBy: 'brandTerms',
  }),
  k({
    id: 'competitor_gap',
    label: 'Gap to benchmark',
    family: 'customers',
    unit: 'count',
    direction: 'lower',
    inputs: [],
    needsConfig: 'benchmarks',
    description:
      "Per `<kpi>.<benchmark>` pair of the config, the KPI's value − the benchmark, signed so that positive is better; value: the pairs behind.",
    basis: 'Benchmarks from the config',
    computedBy: 'competitorGap',
  }),
  // cost
  k({
    id: 'total_cost_of_response',
    acrossMonths: { whole: "its channel breakdown splits labour by the period's handle-time shares" },
    sum: true,
    label: 'Total cost of response',
    family: 'cost',
    unit: 'currency',
    direction: 'lower',
    inputs: ['agents', 'agent_time', 'costs'],
    description:
      'Direct labour (hours worked × loaded rate) + every cost-ledger row of the period; by category, channel and team.',
    basis: 'MetricNet: Total cost of ownership of support',
  }),
  k({
    id: 'cost_per_ticket',
    acrossMonths: money,
    label: 'Cost per ticket',
    family: 'cost',
    unit: 'currency',
    direction: 'lower',
    inputs: ['agents', 'agent_time', 'costs', 'tickets'],
    description: 'TRC ÷ tickets created.',
    basis: 'MetricNet: Cost per ticket',
  }),
  k({
    id: 'cost_per_resolution',
    acrossMonths: money,
    label: 'Cost per resolution',
    family: 'cost',
    unit: 'currency',
    direction: 'lower',
    inputs: ['agents', 'agent_time', 'costs', 'tickets'],
    description: 'TRC ÷ tickets solved.',
    basis: 'MetricNet: Cost per resolution',
  }),
  k({
    id: 'cost_per_contact_minute',
    acrossMonths: money,
    label: 'Cost per contact minute',
    family: 'cost',
    unit: 'currency',
    direction: 'lower',
    inputs: ['agents', 'agent_time', 'costs'],
    anyOf: ['contacts', 'tickets'],
    description:
      "TRC ÷ handle minutes of answered contacts (tickets' handle_seconds where there is no contacts source).",
    basis: 'MetricNet: Cost per minute of handle time',
  }),
  k({
    id: 'cost_to_serve_by_segment',
    acrossMonths: { whole: "splits the period's cost by the period's handle-time shares" },
    sum: true,
    label: 'Cost to serve',
    family: 'cost',
    unit: 'currency',
    direction: 'neutral',
    inputs: ['agents', 'agent_time', 'costs', 'tickets', 'customers'],
    description:
      'TRC allocated to customer segments by their share of handle seconds (tickets where none); value: the TRC allocated.',
    basis: 'Activity-based cost to serve',
  }),
  k({
    id: 'service_margin_by_segment',
    acrossMonths: { whole: "its cost to serve splits the period's cost by the period's handle-time shares" },
    sum: true,
    label: 'Service margin',
    family: 'cost',
    unit: 'currency',
    direction: 'higher',
    inputs: ['agents', 'agent_time', 'costs', 'tickets', 'customers', 'subscriptions'],
    description:
      'Revenue − cost to serve, by segment; revenue sums, month by month, the MRR of subscriptions running at some time in that month; value: the total margin.',
    basis: 'Activity-based cost to serve',
  }),
];

export const kpiIds = kpiCatalog.map((d) => d.id);

export function kpiById(id: string): KpiDefinition | undefined {
  return kpiCatalog.find((d) => d.id === id);
}

/** Tickets solved in the period: the base of every survey KPI's response rate (stats.responseRate). */
export const responseBase = 'csat_solved_tickets';

/** Tickets left out of time metrics, by reason: kpis.json's dataQuality.excludedFromTimeMetrics. */
export const excludedFromTime = 'excluded_from_time_metrics';

/** Where a side measure's member (or its headline, dimension '') goes. */
interface SideMeasurePoint {
  dimension: string;
  member?: string;
}

/**
 * A row of the KPI queries that is not a KPI but sits beside one in kpis.json, declared here so
 * that evaluate places it and the analyst report explains it without a case by KPI id.
 */
export interface SideMeasure {
  id: string;
  /** The KPIs it sits beside, or 'always' (the data quality). */
  for: readonly string[] | 'always';
  /** How the analyst report explains it. */
  note: string;
  /** A breakdown of each KPI it sits beside (when measured): `name` = each member's value of `dimension`. */
  breakdown?: { name: string; dimension: string };
  /**
   * Stats of each KPI it sits beside (when measured): the headline's value (always set, null when
   * none) or one member's (set when the measure has that dimension).
   */
  stats?: Readonly<Record<string, SideMeasurePoint>>;
  /** How a period of several whole months measures it, as a KPI's acrossMonths says. */
  acrossMonths: AcrossMonths;
}

const surveyKpis = kpiCatalog.filter((d) => d.survey).map((d) => d.id);

export const sideMeasures: readonly SideMeasure[] = [
  {
    id: responseBase,
    acrossMonths: 'sum',
    for: surveyKpis,
    note: `tickets solved in the period: the response rate of ${surveyKpis.join(', ')} = their denominator ÷ this numerator`,
  },
  {
    id: excludedFromTime,
    acrossMonths: { whole: 'a ticket created in one month and solved in another is left out once' },
    for: 'always',
    note: 'tickets left out of time metrics, by reason (dataQuality.excludedFromTimeMetrics): numerator per member of dimension reason',
  },
  {
    id: 'solved_per_agent_csat',
    acrossMonths: 'sum',
    for: ['solved_per_agent'],
    note: "each agent's CSAT beside solved_per_agent (breakdown agent_csat) = numerator ÷ denominator per agent",
    breakdown: { name: 'agent_csat', dimension: 'agent' },
  },
  {
    id: 'self_service_screens',
    acrossMonths: 'sum',
    for: ['self_service_clicks'],
    note: 'screens of completed sessions beside self_service_clicks (stats.screens) = numerator ÷ denominator',
    stats: { screens: { dimension: '' } },
  },
  {
    id: 'agent_headcount',
    acrossMonths: { whole: "a stock: the headcount on the period's first and last day" },
    for: ['agent_turnover_rate'],
    note: "headcount on the period's first and last day beside agent_turnover_rate (stats.headcountFirstDay, headcountLastDay)",
    stats: {
      headcountFirstDay: { dimension: 'day', member: 'first' },
      headcountLastDay: { dimension: 'day', member: 'last' },
    },
  },
];

/**
 * The KPIs and side measures whose rows for a period of several whole months are their months'
 * kpi_monthly rows summed (acrossMonths 'sum'); every other row of the KPI queries is measured over
 * the whole period (docs/design.md, "Quarters and ranges").
 */
export const summedAcrossMonths: ReadonlySet<string> = new Set(
  [...kpiCatalog, ...sideMeasures].filter((m) => m.acrossMonths === 'sum').map((m) => m.id),
);
