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

with direct_labour as (
    select
        team,
        sum(amount) as amount
    from {{ ref('int_direct_labour') }} as d
    where month in {{months}} and "date" <= {{period_last_day}}
    group by team
),

ledger as (
    select category, channel, team, amount
    from {{ ref('int_cost_ledger') }} as l
    where month in {{months}}
),

created as (
    select channel, segment, handle_seconds
    from {{ ref('int_handle_load') }} as h
    where month in {{months}} and created_at < {{period_end}}
),

handle_by_channel as (
    select channel, sum(handle_seconds) as seconds
    from created
    group by channel
),

totals as (
    select
        coalesce((select sum(amount) from direct_labour), 0) as direct,
        coalesce((select sum(amount) from ledger), 0) as indirect,
        (select sum(seconds) from handle_by_channel) as handle_seconds,
        (select count(*) from created) as tickets_created,
        (select count(*) from tickets_solved where month in {{months}} and solved_at < {{period_end}}) as tickets_solved,
        (select sum(talk_seconds + hold_seconds + after_contact_seconds) from contacts where month in {{months}} and queued_at < {{period_end}} and answered_at is not null and not abandoned) as contact_seconds
),

channel_labour as (
    select
        h.channel,
        t.direct * h.seconds / t.handle_seconds as amount
    from handle_by_channel as h
    cross join totals as t
    where t.handle_seconds > 0
),

segment_load as (
    select
        segment,
        sum(handle_seconds) as seconds,
        count(*) as tickets
    from created
    group by segment
),

segment_cost as (
    select
        s.segment,
        (t.direct + t.indirect) * case
            when t.handle_seconds > 0 then s.seconds / t.handle_seconds
            else cast(s.tickets as double) / t.tickets_created
        end as amount
    from segment_load as s
    cross join totals as t
),

period_months as (
    select first_day, last_day
    from {{period_month_bounds}} as month_bounds (first_day, last_day)
),

subscription_months as (
    select
        s.customer_id,
        cast(s.mrr as double) as mrr
    from subscriptions as s
    inner join period_months as m
        on s.started_on <= m.last_day
        and (s.cancelled_on is null or s.cancelled_on > m.first_day)
),

segment_revenue as (
    select
        coalesce(cu.segment, 'unknown') as segment,
        sum(sm.mrr) as revenue
    from subscription_months as sm
    left join customers as cu
        on sm.customer_id = cu.id
    group by coalesce(cu.segment, 'unknown')
),

segment_margin as (
    select
        coalesce(r.segment, c.segment) as segment,
        coalesce(r.revenue, 0) - coalesce(c.amount, 0) as margin
    from segment_revenue as r
    full outer join segment_cost as c
        on r.segment = c.segment
),

final as (
    select 'total_cost_of_response' as kpi, '' as dimension, '' as member, direct + indirect as numerator, cast(null as double) as denominator from totals
    union all
    select 'total_cost_of_response', 'category', 'labor', direct + coalesce((select sum(amount) from ledger where category = 'labor'), 0), null from totals
    union all
    select 'total_cost_of_response', 'category', category, sum(amount), null from ledger where category <> 'labor' group by category
    union all
    select 'total_cost_of_response', 'team', team, sum(amount), null from (select team, amount from direct_labour union all select team, amount from ledger) as by_team group by team
    union all
    select 'total_cost_of_response', 'channel', channel, sum(amount), null from (select channel, amount from channel_labour union all select channel, amount from ledger) as by_channel group by channel
    union all
    select 'total_cost_of_response', 'component', 'direct_labour', direct, null from totals
    union all
    select 'total_cost_of_response', 'component', 'ledger', indirect, null from totals
    union all
    select 'cost_per_ticket', '', '', direct + indirect, tickets_created from totals
    union all
    select 'cost_per_resolution', '', '', direct + indirect, tickets_solved from totals
    union all
    select 'cost_per_contact_minute', '', '', direct + indirect, coalesce(case when {{has_contacts}} then contact_seconds else handle_seconds end, 0) / 60.0 from totals
    union all
    select 'cost_to_serve_by_segment', '', '', sum(amount), null from segment_cost
    union all
    select 'cost_to_serve_by_segment', 'segment', segment, amount, null from segment_cost
    union all
    select 'service_margin_by_segment', '', '', sum(margin), null from segment_margin
    union all
    select 'service_margin_by_segment', 'segment', segment, margin, null from segment_margin
)

select * from final
