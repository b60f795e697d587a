/**
 * Saved queries for analysts over the main marts, as data: Athena named queries in the workgroup
 * (infra/namedQueries.ts), and `pulse query --named` over a local lake. So each is valid Trino
 * (Athena engine version 3) that DuckDB runs too, and reads only tables the catalog defines.
 * Every mart holds the whole lake's rows (slice '') and each configured slice's: each query
 * keeps `slice = ''`, the whole lake; another slice's key ('team=frontline') gives its rows.
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
where
    slice = ''
    and month >= substr(cast(current_date - interval '12' month as varchar), 1, 7)
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
-- has p50 / p90 / mean in seconds. Change the kpi id to look at another KPI, and the slice to
-- see a configured slice's rows ('team=frontline'; '' is the whole lake).
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
    and slice = ''
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
    where slice = ''
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
  {
    name: 'pulse-churn-by-segment',
    description: 'Customer churn and gross revenue churn per month and segment (customer_month).',
    sql: `-- Churn per month and segment, as customer_churn_rate and gross_revenue_churn count it: of the
-- customers active on the day before the month, those with nothing running on its last day.
select
    month,
    segment,
    count_if(active_at_start) as active_at_start,
    count_if(churned) as churned,
    cast(count_if(churned) as double) / nullif(count_if(active_at_start), 0) as churn_rate,
    sum(case when churned then mrr_start when mrr_end < mrr_start then mrr_start - mrr_end else 0 end)
        / nullif(sum(case when active_at_start then mrr_start else 0 end), 0) as gross_revenue_churn
from customer_month
where slice = ''
group by
    month,
    segment
order by
    month,
    segment`,
  },
  {
    name: 'pulse-retention-triangle',
    description: 'The cohort triangle: the share of each signup month still active N months later (retention_cohort).',
    sql: `-- One row per signup cohort and month since signup: the share of the cohort with a subscription
-- running at that month's end. Pivot months_since_signup in a spreadsheet for the triangle.
select
    cohort,
    months_since_signup,
    customers,
    active,
    cast(active as double) / nullif(customers, 0) as retained
from retention_cohort
where slice = ''
order by
    cohort,
    months_since_signup`,
  },
  {
    name: 'pulse-first-reply-sla-by-channel',
    description: 'First replies within the SLA per month and channel, and the mean first-reply time (ticket_speed).',
    sql: `-- First replies within the priority's SLA per creation month and channel; the mean is exact
-- (sums over counts). The medians are in kpi_monthly (kpi = 'first_reply_time').
select
    month,
    channel,
    sum(tickets) as tickets,
    sum(replied) as replied,
    cast(sum(replied_within_sla) as double) / nullif(sum(replied), 0) as within_sla,
    sum(first_reply_seconds_sum) / nullif(sum(replied), 0) / 3600 as mean_first_reply_hours
from ticket_speed
where slice = ''
group by
    month,
    channel
order by
    month,
    channel`,
  },
  {
    name: 'pulse-perfect-order-monthly',
    description: 'The perfect-order rate and its components per month (order_month).',
    sql: `-- Perfect orders (in full, on time, accurate invoice and status, entered without error) per
-- month, with each component's rate beside it.
select
    month,
    orders,
    cast(perfect as double) / nullif(orders, 0) as perfect_order_rate,
    cast(in_full as double) / nullif(orders, 0) as in_full_rate,
    cast(on_time as double) / nullif(delivered, 0) as on_time_delivery_rate,
    cast(items_shipped_first as double) / nullif(items_requested, 0) as first_time_fill_rate
from order_month
where slice = ''
order by month`,
  },
];
