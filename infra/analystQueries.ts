/**
 * Saved queries for analysts (Athena named queries) over the main marts, as data: valid Trino
 * (Athena engine version 3), reading only tables the catalog defines. Pure: no constructs.
 */
export interface AnalystQuery {
  /** Athena named-query name (unique within the workgroup). */
  name: string;
  description: string;
  sql: string;
}

export const analystQueries: readonly AnalystQuery[] = [
  {
    name: 'pulse-trc-by-category-monthly',
    description: 'Total cost of response per month and cost category, last 13 months.',
    sql: `-- Total cost of response per month and category (direct labour is category 'labor').
select
    month,
    category,
    sum(amount) as amount
from trc
where month >= date_format(date_add('month', -12, current_date), '%Y-%m')
group by
    month,
    category
order by
    month,
    category`,
  },
  {
    name: 'pulse-kpi-history',
    description: 'One KPI month by month (overall value): edit the kpi to see another.',
    sql: `-- History of one KPI, overall (dimension ''): a rate is numerator / denominator, a duration
-- has p50 / p90 / mean in seconds. Change the kpi id to look at another KPI.
select
    month,
    kpi,
    numerator,
    denominator,
    case when denominator > 0 then numerator / denominator end as rate,
    p50,
    p90,
    mean,
    n
from kpi_monthly
where
    kpi = 'first_reply_time'
    and dimension = ''
order by month`,
  },
  {
    name: 'pulse-cost-per-ticket-by-team',
    description: 'Cost per ticket created, per month and team: TRC over tickets created.',
    sql: `-- Cost per ticket by team: each month's TRC of a team over the tickets created in that team.
-- Ledger rows without a team sit under 'shared', which has no tickets of its own.
with team_cost as (
    select
        month,
        team,
        sum(amount) as amount
    from trc
    group by
        month,
        team
),

team_tickets as (
    select
        month,
        coalesce(team, 'unassigned') as team,
        count(*) as tickets
    from tickets
    where not is_deleted
    group by
        month,
        coalesce(team, 'unassigned')
)

select
    c.month,
    c.team,
    c.amount,
    t.tickets,
    c.amount / nullif(t.tickets, 0) as cost_per_ticket
from team_cost as c
left join team_tickets as t
    on c.month = t.month and c.team = t.team
order by
    c.month,
    c.team`,
  },
];
