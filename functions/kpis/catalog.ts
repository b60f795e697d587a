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
  description: string;
  basis: string;
}

const k = (d: KpiDefinition): KpiDefinition => d;

export const kpiCatalog: readonly KpiDefinition[] = [
  // volume
  k({
    id: 'tickets_created',
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
}

const surveyKpis = kpiCatalog.filter((d) => d.survey).map((d) => d.id);

export const sideMeasures: readonly SideMeasure[] = [
  {
    id: responseBase,
    for: surveyKpis,
    note: `tickets solved in the period: the response rate of ${surveyKpis.join(', ')} = their denominator ÷ this numerator`,
  },
  {
    id: excludedFromTime,
    for: 'always',
    note: 'tickets left out of time metrics, by reason (dataQuality.excludedFromTimeMetrics): numerator per member of dimension reason',
  },
  {
    id: 'solved_per_agent_csat',
    for: ['solved_per_agent'],
    note: "each agent's CSAT beside solved_per_agent (breakdown agent_csat) = numerator ÷ denominator per agent",
    breakdown: { name: 'agent_csat', dimension: 'agent' },
  },
  {
    id: 'self_service_screens',
    for: ['self_service_clicks'],
    note: 'screens of completed sessions beside self_service_clicks (stats.screens) = numerator ÷ denominator',
    stats: { screens: { dimension: '' } },
  },
  {
    id: 'agent_headcount',
    for: ['agent_turnover_rate'],
    note: "headcount on the period's first and last day beside agent_turnover_rate (stats.headcountFirstDay, headcountLastDay)",
    stats: {
      headcountFirstDay: { dimension: 'day', member: 'first' },
      headcountLastDay: { dimension: 'day', member: 'last' },
    },
  },
];
