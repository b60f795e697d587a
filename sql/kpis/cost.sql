-- cost: total cost of response (MetricNet's TCO of support) and what it costs per unit.
-- TRC = direct labour (hours worked × the agent's loaded hourly cost) + every cost-ledger row of
-- the period (its labor rows are indirect staff). Direct labour goes to the agent's team, and to
-- channels by each channel's share of the handle seconds of the tickets created in the period;
-- ledger rows without a team or channel are "shared". Cost to serve splits TRC over customer
-- segments by their share of those handle seconds (by ticket count when there are none).
-- Service margin = revenue − cost to serve, revenue summed month by month: a subscription brings
-- its MRR for every month of the period it runs in at some time, so a quarter holds three months
-- of revenue against the three months of cost.
-- Direct labour, the ledger and the handle load are the intermediate models the trc mart reads
-- too (sql/intermediate/): one rule, so the mart's marginals are these breakdowns.
-- Measured for each period of report_periods at once (functions/stages/periodsSql.ts): a record
-- counts in the period whose months hold its month, if it came before the period's end (a month
-- to date ends early); a headline is one row per period, even a period with nothing to count.
-- Sums are exact (docs/design.md, "Exact sums"): money, hours and seconds are summed as decimals
-- (the intermediate models give them so) and cast to double once summed; an allocated amount (a
-- quotient) is rounded to 1e-9 of the currency before it is summed. So any order gives the same sum.

with periods as (
    select * from {{report_periods}} as p
),

-- Each period's months, with the period's end: a month to date ends before its month does.
period_months as (
    select pm.period, pm.month, pm.first_day, pm.last_day, p.period_end, p.period_last_day
    from {{report_period_months}} as pm
    inner join periods as p
        on pm.period = p.period
),

direct_labour as (
    select
        pm.period,
        d.team,
        sum(d.amount) as amount
    from {{ ref('int_direct_labour') }} as d
    inner join period_months as pm
        on d.month = pm.month
    where d.month in {{months}} and d."date" <= pm.period_last_day
    group by pm.period, d.team
),

ledger as (
    select pm.period, l.category, l.channel, l.team, l.amount
    from {{ ref('int_cost_ledger') }} as l
    inner join period_months as pm
        on l.month = pm.month
    where l.month in {{months}}
),

-- The tickets created in the period, summed by channel and segment: every allocation reads these.
created_load as (
    select
        pm.period,
        h.channel,
        h.segment,
        sum(h.handle_seconds) as seconds,
        count(*) as tickets
    from {{ ref('int_handle_load') }} as h
    inner join period_months as pm
        on h.month = pm.month
    where h.month in {{months}} and h.created_at < pm.period_end
    group by pm.period, h.channel, h.segment
),

handle_by_channel as (
    select period, channel, sum(seconds) as seconds
    from created_load
    group by period, channel
),

solved_count as (
    select pm.period, count(*) as tickets
    from tickets_solved as t
    inner join period_months as pm
        on t.month = pm.month
    where t.month in {{months}} and t.solved_at < pm.period_end
    group by pm.period
),

contact_load as (
    select pm.period, sum(cast(c.talk_seconds + c.hold_seconds + c.after_contact_seconds as decimal(38, 6))) as seconds
    from contacts as c
    inner join period_months as pm
        on c.month = pm.month
    where c.month in {{months}} and c.queued_at < pm.period_end and c.answered_at is not null and not c.abandoned
    group by pm.period
),

direct_total as (
    select period, sum(amount) as amount
    from direct_labour
    group by period
),

ledger_total as (
    select period, sum(amount) as amount
    from ledger
    group by period
),

load_total as (
    select period, sum(seconds) as seconds, sum(tickets) as tickets
    from created_load
    group by period
),

-- One row per period, as one query per period gave on no rows: counts and costs 0, seconds null.
totals as (
    select
        p.period,
        cast(coalesce(d.amount, 0) as double) as direct,
        cast(coalesce(l.amount, 0) as double) as indirect,
        cast(h.seconds as double) as handle_seconds,
        coalesce(h.tickets, 0) as tickets_created,
        coalesce(s.tickets, 0) as tickets_solved,
        cast(c.seconds as double) as contact_seconds
    from periods as p
    left join direct_total as d
        on p.period = d.period
    left join ledger_total as l
        on p.period = l.period
    left join load_total as h
        on p.period = h.period
    left join solved_count as s
        on p.period = s.period
    left join contact_load as c
        on p.period = c.period
),

channel_labour as (
    select
        h.period,
        h.channel,
        cast(t.direct * cast(h.seconds as double) / t.handle_seconds as decimal(38, 9)) as amount
    from handle_by_channel as h
    inner join totals as t
        on h.period = t.period
    where t.handle_seconds > 0
),

segment_load as (
    select
        period,
        segment,
        cast(sum(seconds) as double) as seconds,
        sum(tickets) as tickets
    from created_load
    group by period, segment
),

segment_cost as (
    select
        s.period,
        s.segment,
        (t.direct + t.indirect) * case
            when t.handle_seconds > 0 then s.seconds / t.handle_seconds
            else cast(s.tickets as double) / t.tickets_created
        end as amount
    from segment_load as s
    inner join totals as t
        on s.period = t.period
),

-- Subscriptions by segment and run (a short list, MRR summed exactly), then month by month:
-- each brings its MRR for every month of the period it runs in at some time.
segment_runs as (
    select
        coalesce(cu.segment, 'unknown') as segment,
        s.started_on,
        s.cancelled_on,
        sum(s.mrr) as mrr
    from subscriptions as s
    left join customers as cu
        on s.customer_id = cu.id
    group by coalesce(cu.segment, 'unknown'), s.started_on, s.cancelled_on
),

segment_revenue as (
    select
        m.period,
        r.segment,
        cast(sum(r.mrr) as double) as revenue
    from segment_runs as r
    inner join period_months as m
        on r.started_on <= m.last_day
        and (r.cancelled_on is null or r.cancelled_on > m.first_day)
    group by m.period, r.segment
),

segment_margin as (
    select
        coalesce(r.period, c.period) as period,
        coalesce(r.segment, c.segment) as segment,
        coalesce(r.revenue, 0) - coalesce(c.amount, 0) as margin
    from segment_revenue as r
    full outer join segment_cost as c
        on r.period = c.period
        and r.segment = c.segment
),

ledger_labour as (
    select period, cast(sum(amount) as double) as amount
    from ledger
    where category = 'labor'
    group by period
),

segment_cost_total as (
    select period, cast(sum(cast(amount as decimal(38, 9))) as double) as amount
    from segment_cost
    group by period
),

segment_margin_total as (
    select period, cast(sum(cast(margin as decimal(38, 9))) as double) as margin
    from segment_margin
    group by period
),

segment_totals as (
    select p.period, c.amount as cost, m.margin
    from periods as p
    left join segment_cost_total as c
        on p.period = c.period
    left join segment_margin_total as m
        on p.period = m.period
),

final as (
    select period, 'total_cost_of_response' as kpi, '' as dimension, '' as member, direct + indirect as numerator, cast(null as double) as denominator from totals
    union all
    select t.period, 'total_cost_of_response', 'category', 'labor', t.direct + coalesce(l.amount, 0), null
    from totals as t
    left join ledger_labour as l
        on t.period = l.period
    union all
    select period, 'total_cost_of_response', 'category', category, cast(sum(amount) as double), null from ledger where category <> 'labor' group by period, category
    union all
    select period, 'total_cost_of_response', 'team', team, cast(sum(amount) as double), null from (select period, team, amount from direct_labour union all select period, team, amount from ledger) as by_team group by period, team
    union all
    select period, 'total_cost_of_response', 'channel', channel, cast(sum(amount) as double), null from (select period, channel, amount from channel_labour union all select period, channel, amount from ledger) as by_channel group by period, channel
    union all
    select period, 'total_cost_of_response', 'component', 'direct_labour', direct, null from totals
    union all
    select period, 'total_cost_of_response', 'component', 'ledger', indirect, null from totals
    union all
    select period, 'cost_per_ticket', '', '', direct + indirect, tickets_created from totals
    union all
    select period, 'cost_per_resolution', '', '', direct + indirect, tickets_solved from totals
    union all
    select period, 'cost_per_contact_minute', '', '', direct + indirect, coalesce(case when {{has_contacts}} then contact_seconds else handle_seconds end, 0) / 60.0 from totals
    union all
    select period, 'cost_to_serve_by_segment', '', '', cost, null from segment_totals
    union all
    select period, 'cost_to_serve_by_segment', 'segment', segment, amount, null from segment_cost
    union all
    select period, 'service_margin_by_segment', '', '', margin, null from segment_totals
    union all
    select period, 'service_margin_by_segment', 'segment', segment, margin, null from segment_margin
)

select * from final
