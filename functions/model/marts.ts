import { lakeKeys } from './lakeKeys.ts';

/**
 * The marts' columns as data, for the catalog (Glue tables analysts query in Athena) — the
 * entities get theirs from their zod schemas, the marts from here. Pure: no I/O.
 *
 * Each mart lives under marts/<name>/month=YYYY-MM/ (docs/design.md, "Storage layout"); `month` is
 * the partition, so it is not listed among the columns. Types are spelled as in the SQL (valid
 * in Trino and DuckDB), as the entities' columns are.
 *
 * Every mart the pipeline builds is declared (functions/stages/lake.ts lists them), each column
 * with the type its SQL gives it whatever the config (int_tickets casts the SLA targets to
 * double for that): test/sql/mart-columns.test.ts reads the Parquet the marts stage writes and
 * holds every declaration to it, since a Glue type that differs fails the query in Athena.
 */
export interface MartColumn {
  name: string;
  sqlType: string;
  description: string;
}

export interface MartTable {
  name: string;
  description: string;
  /** One row per … (the data dictionary states it). */
  grain: string;
  columns: readonly MartColumn[];
  /** Partitioned by month=YYYY-MM (every mart is). */
  partitioned: true;
  /** Key prefix in the lake. */
  prefix: string;
}

const column = (name: string, sqlType: string, description: string): MartColumn => ({ name, sqlType, description });

/** Every mart's rows are of one slice: '' the whole lake, else a configured slice (sliceKey). */
const sliceColumn = column(
  'slice',
  'varchar',
  "The configured slice the row belongs to ('' for the whole lake: filter slice = '' for whole-lake numbers; 'team=frontline', keys sorted, joined by ',').",
);

/** Every KPI with its breakdowns, month by month (the cohort triangle included): built from sql/kpis/. */
export const kpiMonthlyMart = 'kpi_monthly';

export const kpiMonthlyColumns: readonly MartColumn[] = [
  column('kpi', 'varchar', 'KPI id (the KPI catalog).'),
  column(
    'dimension',
    'varchar',
    "Breakdown: '' for the overall value, else team, channel, category, priority, segment, …",
  ),
  column('member', 'varchar', "Member of the breakdown ('' for the overall value)."),
  column(
    'kind',
    'varchar',
    "What the row measures: 'duration' (p50, p90, mean, n) or 'ratio' (numerator, denominator).",
  ),
  column('numerator', 'double', 'Rates and totals: the numerator (null for durations).'),
  column('denominator', 'double', 'Rates: the denominator (null for durations and totals).'),
  column('p50', 'double', 'Durations: the median, in seconds (null otherwise).'),
  column('p90', 'double', 'Durations: the 90th percentile, in seconds (null otherwise).'),
  column('mean', 'double', 'Durations: the mean, in seconds (null otherwise).'),
  column('n', 'double', 'Durations: the number of measured items (null otherwise).'),
  column('query', 'varchar', 'The KPI query of sql/ whose row this is (kpis/durations.sql, …).'),
  column(
    'slice',
    'varchar',
    "The configured slice the row is measured in ('' for the whole lake; 'team=frontline', keys sorted, joined by ',').",
  ),
];

export const trcColumns: readonly MartColumn[] = [
  column('category', 'varchar', "Cost category ('labor' for direct labour)."),
  column('channel', 'varchar', "Channel the cost is allocated to ('shared', 'unallocated')."),
  column(
    'team',
    'varchar',
    "Team ('unassigned' for labour of agents without one, 'shared' for ledger rows without one).",
  ),
  column('segment', 'varchar', "Customer segment ('unknown', 'unallocated')."),
  column('component', 'varchar', 'direct_labour | ledger.'),
  column('amount', 'double', 'Allocated cost, in the configured currency.'),
  sliceColumn,
];

export const volumeDailyColumns: readonly MartColumn[] = [
  column('created_date', 'date', 'Business-time-zone day the tickets were created.'),
  column('created_weekday', 'bigint', 'ISO day of week of created_date (1 = Monday).'),
  column('channel', 'varchar', 'Ticket channel.'),
  column('category', 'varchar', "Ticket category ('uncategorised' when absent)."),
  column('priority', 'varchar', 'Ticket priority.'),
  column('tickets', 'bigint', 'Tickets created.'),
  sliceColumn,
];

export const ticketSpeedColumns: readonly MartColumn[] = [
  column('channel', 'varchar', 'Ticket channel.'),
  column('team', 'varchar', "Team ('unassigned' when the ticket has none)."),
  column('priority', 'varchar', 'Ticket priority.'),
  column('tickets', 'bigint', 'Tickets created.'),
  column('replied', 'bigint', 'Of them, with a first reply and possible timestamps.'),
  column(
    'first_reply_seconds_sum',
    'double',
    'Sum of their first-reply times, in seconds (divide by replied for the mean).',
  ),
  column('replied_within_sla', 'bigint', "First replies within the priority's reply SLA (definitions.sla)."),
  column(
    'impossible_times',
    'bigint',
    'Tickets whose reply, solve or close precedes their creation (left out of the durations).',
  ),
  sliceColumn,
];

export const ticketQualityColumns: readonly MartColumn[] = [
  column('channel', 'varchar', 'Ticket channel.'),
  column('team', 'varchar', "Team ('unassigned' when the ticket has none)."),
  column('solved', 'bigint', 'Tickets whose last solve fell in the month.'),
  column('reopened', 'bigint', 'Of them, reopened at least once.'),
  column('escalated', 'bigint', 'Of them, escalated at least once.'),
  column('resolution_measured', 'bigint', 'Of them, with a resolution time (possible timestamps).'),
  column('resolution_seconds_sum', 'double', 'Sum of their resolution times, in seconds.'),
  column('resolved_within_sla', 'bigint', "Resolutions within the priority's resolution SLA."),
  column('rated', 'bigint', 'Solved tickets with a satisfaction rating.'),
  column('satisfied', 'bigint', 'Of them, rated 4 or 5 of 5.'),
  sliceColumn,
];

export const agentMonthColumns: readonly MartColumn[] = [
  column('agent_id', 'varchar', 'Agent (agents.id, or the assignee id of tickets solved with no agent time).'),
  column('team', 'varchar', "The agent's team ('unassigned' when the agent is not in agents)."),
  column('solved', 'bigint', 'Tickets whose last solve fell in the month, assigned to the agent.'),
  column('agent_replies', 'bigint', 'Public agent replies on those tickets.'),
  column('handle_seconds', 'double', 'Agent time on those tickets, in seconds.'),
  column('rated', 'bigint', 'Of those tickets, with a satisfaction rating.'),
  column('satisfied', 'bigint', 'Of them, rated 4 or 5 of 5.'),
  column('hours_worked', 'double', 'Hours the agent worked in the month (null: no agent time recorded).'),
  column('hours_on_tickets', 'double', 'Of them, hours spent on tickets.'),
  sliceColumn,
];

const mart = (name: string, description: string, grain: string, columns: readonly MartColumn[]): MartTable => ({
  name,
  description,
  grain,
  columns,
  partitioned: true,
  prefix: lakeKeys.mart(name),
});

/** The marts with a declared shape, as catalog tables. */
/** tickets_created and tickets_solved: int_tickets' columns, one row per ticket. */
export const ticketFactColumns: readonly MartColumn[] = [
  column('ticket_id', 'varchar', 'Ticket id in its source.'),
  column('customer_id', 'varchar', 'Customer the ticket is for.'),
  column('channel', 'varchar', 'Ticket channel.'),
  column('category', 'varchar', "Ticket category ('uncategorised' when absent)."),
  column('priority', 'varchar', 'Ticket priority.'),
  column('team', 'varchar', "Team ('unassigned' when the ticket has none)."),
  column('assignee_id', 'varchar', 'Agent the ticket is assigned to.'),
  column('created_at', 'timestamp', 'Created, UTC.'),
  column('first_response_at', 'timestamp', 'First agent reply, UTC.'),
  column('solved_at', 'timestamp', 'Last solve, UTC.'),
  column('closed_at', 'timestamp', 'Closed, UTC.'),
  column('created_date', 'date', 'Business-time-zone day created.'),
  column('created_month', 'varchar', 'Business-time-zone month created, YYYY-MM.'),
  column('created_weekday', 'bigint', 'ISO day of week of created_date (1 = Monday).'),
  column('created_day_of_month', 'bigint', 'Day of the month of created_date.'),
  column('solved_date', 'date', 'Business-time-zone day of the last solve.'),
  column('solved_month', 'varchar', 'Business-time-zone month of the last solve, YYYY-MM.'),
  column('invalid_time_reason', 'varchar', 'Why the timestamps are impossible (reply_before_created, …), else null.'),
  column('has_valid_times', 'boolean', 'No impossible timestamp: the ticket counts in the durations.'),
  column('first_reply_seconds', 'double', 'Created to first reply, in seconds.'),
  column('resolution_seconds', 'double', 'Created to last solve, in seconds.'),
  column('sla_reply_seconds', 'double', "First-reply target of the ticket's priority, in seconds (definitions.sla)."),
  column(
    'sla_resolution_seconds',
    'double',
    "Resolution target of the ticket's priority, in seconds (definitions.sla).",
  ),
  column('is_complaint', 'boolean', 'Category is one of definitions.complaintCategories.'),
  column('is_escalated', 'boolean', 'Escalated.'),
  column('reopens', 'bigint', 'Times reopened.'),
  column('is_reopened', 'boolean', 'Reopened at least once.'),
  column('agent_replies', 'bigint', 'Agent replies (0 when unknown).'),
  column('handle_seconds', 'double', 'Agent handle time, in seconds (0 when unknown).'),
  column('satisfaction', 'bigint', 'Satisfaction rating on the ticket, 1–5, else null.'),
  sliceColumn,
];

export const customerMonthColumns: readonly MartColumn[] = [
  column('customer_id', 'varchar', 'Customer (customers.id).'),
  column('segment', 'varchar', "Customer segment ('unknown' when absent)."),
  column('active_at_start', 'boolean', 'A subscription running on the day before the month.'),
  column('active_at_end', 'boolean', "A subscription running on the month's last day."),
  column('churned', 'boolean', 'Active at the start, nothing running at the end (customer_churn_rate counts these).'),
  column('mrr_start', 'double', 'MRR on the day before the month.'),
  column('mrr_end', 'double', "MRR on the month's last day (lower: contraction; higher: expansion; 0: churn)."),
  sliceColumn,
];

export const retentionCohortColumns: readonly MartColumn[] = [
  column('cohort', 'varchar', 'Signup month of the customers, YYYY-MM.'),
  column('months_since_signup', 'bigint', 'Months from the cohort to this month (1 = the month after signup).'),
  column('customers', 'bigint', 'Customers in the cohort.'),
  column('active', 'bigint', "Of them, with a subscription running on the month's last day."),
  sliceColumn,
];

export const orderMonthColumns: readonly MartColumn[] = [
  column('orders', 'bigint', 'Orders placed in the month.'),
  column('perfect', 'bigint', 'Delivered in full, on time, invoiced and updated accurately, entered without error.'),
  column('in_full', 'bigint', 'First shipment held every item requested.'),
  column('on_time', 'bigint', 'Delivered within definitions.promisedDeliveryDays of the order.'),
  column('delivered', 'bigint', 'Delivered.'),
  column('entered', 'bigint', 'Captured in the system.'),
  column('entered_without_error', 'bigint', 'Captured with no entry error.'),
  column('invoice_accurate', 'bigint', 'Invoice needed no later correction.'),
  column('status_accurate', 'bigint', 'Every status update sent was correct.'),
  column('items_requested', 'bigint', 'Items ordered.'),
  column('items_shipped_first', 'bigint', 'Items in the first shipment.'),
  sliceColumn,
];

export const martTables: readonly MartTable[] = [
  mart(
    'tickets_created',
    'One row per ticket, in the month it was created: what volume, first reply, escalation and complaints count.',
    'creation month × ticket',
    ticketFactColumns,
  ),
  mart(
    'tickets_solved',
    'One row per ticket, in the month of its last solve: what resolution, SLA, effort and agent output count.',
    'solve month × ticket',
    ticketFactColumns,
  ),
  mart(
    kpiMonthlyMart,
    "Every KPI with its breakdowns, month by month, for the whole lake (slice '') and each configured slice.",
    'month × slice × KPI × dimension × member',
    kpiMonthlyColumns,
  ),
  mart(
    'trc',
    'Total cost of response by month, category, channel, team, segment and component.',
    'month × category × channel × team × segment × component',
    trcColumns,
  ),
  mart(
    'volume_daily',
    'Tickets created per business day, channel, category and priority.',
    'business day × channel × category × priority',
    volumeDailyColumns,
  ),
  mart(
    'ticket_speed',
    'First replies of the tickets created in the month: counts and sums that roll up exactly.',
    'creation month × channel × team × priority',
    ticketSpeedColumns,
  ),
  mart(
    'agent_month',
    "Each agent's month: tickets solved, replies, handle time, ratings and hours worked.",
    'month × agent',
    agentMonthColumns,
  ),
  mart(
    'customer_month',
    "Each customer's month: active at its start and end, churned, and MRR on both days.",
    'month × customer',
    customerMonthColumns,
  ),
  mart(
    'retention_cohort',
    'Each signup-month cohort in each later month: its customers and how many are still active.',
    'month × signup cohort',
    retentionCohortColumns,
  ),
  mart('order_month', 'Orders placed in the month, by the perfect-order components.', 'month', orderMonthColumns),
  mart(
    'ticket_quality',
    'Solved tickets of the month: reopens, escalations, resolution within SLA, satisfaction.',
    'solve month × channel × team',
    ticketQualityColumns,
  ),
];
