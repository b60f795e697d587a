import { lakeKeys } from './lakeKeys.ts';

/**
 * The marts' columns as data, for the catalog (Glue tables analysts query in Athena) — the
 * entities get theirs from their zod schemas, the marts from here. Pure: no I/O.
 *
 * Each mart lives under marts/<name>/month=YYYY-MM/ (DESIGN.md, "Storage layout"); `month` is
 * the partition, so it is not listed among the columns. Types are spelled as in the SQL (valid
 * in Trino and DuckDB), as the entities' columns are.
 *
 * Declared: kpi_monthly (the shape functions/stages/lake.ts builds from sql/kpis/), trc
 * (sql/marts/trc.sql) and volume_daily (sql/marts/volume_daily.sql), whose every column has a
 * type fixed by the SQL alone. Not declared: tickets_created and tickets_solved, which are
 * `select *` over int_tickets, where sla_reply_seconds / sla_resolution_seconds take their
 * type from the configured SLA hours (an integer or a decimal literal), so no one Glue type is
 * honest for them; analysts read tickets through the curated `tickets` table instead.
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

export const kpiMonthlyColumns: readonly MartColumn[] = [
  column('kpi', 'varchar', 'KPI id (the KPI catalog).'),
  column('dimension', 'varchar', "Breakdown: '' for the overall value, else team, channel, category, priority, segment, …"),
  column('member', 'varchar', "Member of the breakdown ('' for the overall value)."),
  column('numerator', 'double', 'Rates and totals: the numerator (null for durations).'),
  column('denominator', 'double', 'Rates: the denominator (null for durations and totals).'),
  column('p50', 'double', 'Durations: the median, in seconds (null otherwise).'),
  column('p90', 'double', 'Durations: the 90th percentile, in seconds (null otherwise).'),
  column('mean', 'double', 'Durations: the mean, in seconds (null otherwise).'),
  column('n', 'double', 'Durations: the number of measured items (null otherwise).'),
];

export const trcColumns: readonly MartColumn[] = [
  column('category', 'varchar', "Cost category ('labor' for direct labour)."),
  column('channel', 'varchar', "Channel the cost is allocated to ('shared', 'unallocated')."),
  column('team', 'varchar', "Team ('unassigned' for labour of agents without one, 'shared' for ledger rows without one)."),
  column('segment', 'varchar', "Customer segment ('unknown', 'unallocated')."),
  column('component', 'varchar', 'direct_labour | ledger.'),
  column('amount', 'double', 'Allocated cost, in the configured currency.'),
];

export const volumeDailyColumns: readonly MartColumn[] = [
  column('created_date', 'date', 'Business-time-zone day the tickets were created.'),
  column('created_weekday', 'bigint', 'ISO day of week of created_date (1 = Monday).'),
  column('channel', 'varchar', 'Ticket channel.'),
  column('category', 'varchar', "Ticket category ('uncategorised' when absent)."),
  column('priority', 'varchar', 'Ticket priority.'),
  column('tickets', 'bigint', 'Tickets created.'),
];

export const ticketSpeedColumns: readonly MartColumn[] = [
  column('channel', 'varchar', 'Ticket channel.'),
  column('team', 'varchar', "Team ('unassigned' when the ticket has none)."),
  column('priority', 'varchar', 'Ticket priority.'),
  column('tickets', 'bigint', 'Tickets created.'),
  column('replied', 'bigint', 'Of them, with a first reply and possible timestamps.'),
  column('first_reply_seconds_sum', 'double', 'Sum of their first-reply times, in seconds (divide by replied for the mean).'),
  column('replied_within_sla', 'bigint', "First replies within the priority's reply SLA (definitions.sla)."),
  column('impossible_times', 'bigint', 'Tickets whose reply, solve or close precedes their creation (left out of the durations).'),
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
export const martTables: readonly MartTable[] = [
  mart('kpi_monthly', 'Every KPI with its breakdowns, month by month.', 'month × KPI × dimension × member', kpiMonthlyColumns),
  mart('trc', 'Total cost of response by month, category, channel, team, segment and component.', 'month × category × channel × team × segment × component', trcColumns),
  mart('volume_daily', 'Tickets created per business day, channel, category and priority.', 'business day × channel × category × priority', volumeDailyColumns),
  mart('ticket_speed', 'First replies of the tickets created in the month: counts and sums that roll up exactly.', 'creation month × channel × team × priority', ticketSpeedColumns),
  mart('agent_month', "Each agent's month: tickets solved, replies, handle time, ratings and hours worked.", 'month × agent', agentMonthColumns),
  mart('ticket_quality', 'Solved tickets of the month: reopens, escalations, resolution within SLA, satisfaction.', 'solve month × channel × team', ticketQualityColumns),
];

/** Marts the pipeline builds that have no catalog table, and why. */
export const martsWithoutTable: Readonly<Record<string, string>> = {
  tickets_created: 'select * over int_tickets; the SLA-target columns take their type from the configured hours',
  tickets_solved: 'select * over int_tickets; the SLA-target columns take their type from the configured hours',
};
