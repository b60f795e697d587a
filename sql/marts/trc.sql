-- trc: total cost of response, month by month, allocated to category × channel × team × segment,
-- so that finance's workbook comes from the lake like every other KPI. One row per month,
-- category, channel, team, segment and component (direct_labour | ledger); the grain keeps the
-- two apart because a ledger labor row can land in the same cell as the direct labour.
--
-- The allocation is the one of sql/kpis/cost.sql, taken one month at a time, and reads the same
-- intermediate models (sql/intermediate/: direct labour, ledger, handle load), so that each
-- marginal of a month equals that month's KPI breakdown:
-- - direct labour (hours worked × the agent's loaded hourly cost) sits under category labor and
--   the agent's team ('unassigned' when none), and is split over (channel, segment) by the joint
--   share of the handle seconds of the tickets created in the month: Σ by channel is the KPI's
--   channel split h(c)/H, Σ by segment its segment split h(s)/H;
-- - each ledger row keeps its category, channel and team ('shared' when absent) and is split over
--   segments by h(s)/H;
-- - by ticket counts when the month's tickets have no handle seconds; channel and segment
--   'unallocated' when the month has no tickets at all (the cost still counts in the total).
-- Sums are exact (docs/design.md, "Exact sums"): costs and seconds are summed as the decimals the
-- intermediate models give, each allocated amount rounded to 1e-9 of the currency before its sum.

with direct_labour as (
    select
        month,
        team,
        sum(amount) as amount
    from {{ ref('int_direct_labour') }} as d
    group by
        month,
        team
),

ledger as (
    select month, category, channel, team, amount
    from {{ ref('int_cost_ledger') }} as l
),

created_load as (
    select
        month,
        channel,
        segment,
        sum(handle_seconds) as seconds,
        count(*) as tickets
    from {{ ref('int_handle_load') }} as h
    group by
        month,
        channel,
        segment
),

month_load as (
    select
        month,
        sum(seconds) as seconds,
        sum(tickets) as tickets
    from created_load
    group by month
),

channel_segment_shares as (
    select
        c.month,
        c.channel,
        c.segment,
        case
            when m.seconds > 0 then cast(c.seconds as double) / cast(m.seconds as double)
            else cast(c.tickets as double) / m.tickets
        end as share
    from created_load as c
    inner join month_load as m
        on c.month = m.month
),

segment_load as (
    select
        month,
        segment,
        sum(seconds) as seconds,
        sum(tickets) as tickets
    from created_load
    group by
        month,
        segment
),

-- h(s)/H from the exact sums, as sql/kpis/cost.sql splits by segment.
segment_shares as (
    select
        s.month,
        s.segment,
        case
            when m.seconds > 0 then cast(s.seconds as double) / cast(m.seconds as double)
            else cast(s.tickets as double) / m.tickets
        end as share
    from segment_load as s
    inner join month_load as m
        on s.month = m.month
),

labour_allocated as (
    select
        d.month,
        'labor' as category,
        coalesce(s.channel, 'unallocated') as channel,
        d.team,
        coalesce(s.segment, 'unallocated') as segment,
        'direct_labour' as component,
        cast(d.amount as double) * coalesce(s.share, 1) as amount
    from direct_labour as d
    left join channel_segment_shares as s
        on d.month = s.month
),

ledger_allocated as (
    select
        l.month,
        l.category,
        l.channel,
        l.team,
        coalesce(s.segment, 'unallocated') as segment,
        'ledger' as component,
        cast(l.amount as double) * coalesce(s.share, 1) as amount
    from ledger as l
    left join segment_shares as s
        on l.month = s.month
),

allocated as (
    select * from labour_allocated
    union all
    select * from ledger_allocated
),

final as (
    select
        category,
        channel,
        team,
        segment,
        component,
        cast(sum(cast(amount as decimal(38, 9))) as double) as amount,
        month
    from allocated
    group by
        category,
        channel,
        team,
        segment,
        component,
        month
)

select * from final
