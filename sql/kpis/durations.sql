-- durations: every duration KPI, overall and per member of each breakdown: first_reply_time
-- (tickets created in the period), full_resolution_time (solved in the period), handle_time and
-- queue_answer_time (answered contacts queued in the period), order_processing_time and
-- order_entry_time (orders placed in the period).
-- p50 is the exact median and p90 the linear interpolation between the ranks around
-- (n - 1) * q, i.e. quantile_cont / numpy's default; read from each member's durations sorted
-- (array_sort(array_agg(...)), nulls last in both engines) because Trino offers only
-- approx_percentile. Every breakdown is one grouping set of a single aggregation: no duration is
-- copied once per breakdown.
-- Tickets with impossible timestamps have null durations.
-- Measured for each period of report_periods at once (functions/stages/periodsSql.ts); the
-- filter on the months of them all only keeps the engine to their partitions.

with period_months as (
    select pm.period, pm.month, p.period_end
    from {{report_period_months}} as pm
    inner join {{report_periods}} as p
        on pm.period = p.period
),

first_replies as (
    select
        pm.period,
        'first_reply_time' as kpi,
        channel,
        category,
        priority,
        team,
        created_month as month,
        cast(first_reply_seconds as double) as seconds
    from tickets_created as t
    inner join period_months as pm
        on t.month = pm.month
    where t.month in {{months}} and t.created_at < pm.period_end
        and first_reply_seconds is not null
),

resolutions as (
    select
        pm.period,
        'full_resolution_time' as kpi,
        channel,
        category,
        priority,
        team,
        solved_month as month,
        cast(resolution_seconds as double) as seconds
    from tickets_solved as t
    inner join period_months as pm
        on t.month = pm.month
    where t.month in {{months}} and t.solved_at < pm.period_end
        and resolution_seconds is not null
),

agent_teams as (
    select id as agent_id, team from agents
),

answered_contacts as (
    select
        pm.period,
        c.channel,
        coalesce(a.team, 'unassigned') as team,
        c.month,
        c.queued_at,
        c.answered_at,
        c.talk_seconds + c.hold_seconds + c.after_contact_seconds as handle_seconds
    from contacts as c
    inner join period_months as pm
        on c.month = pm.month
    left join agent_teams as a
        on c.agent_id = a.agent_id
    where c.month in {{months}} and c.queued_at < pm.period_end
        and c.answered_at is not null
        and not c.abandoned
),

handle_times as (
    select period, 'handle_time' as kpi, channel, 'all' as category, 'all' as priority, team, month, cast(handle_seconds as double) as seconds
    from answered_contacts
),

queue_answer_times as (
    select period, 'queue_answer_time' as kpi, channel, 'all' as category, 'all' as priority, team, month,
        to_unixtime(answered_at) - to_unixtime(queued_at) as seconds
    from answered_contacts
    where answered_at >= queued_at
),

order_processing_times as (
    select pm.period, 'order_processing_time' as kpi, 'all' as channel, 'all' as category, 'all' as priority, 'all' as team, o.month,
        to_unixtime(delivered_at) - to_unixtime(entered_at) as seconds
    from orders as o
    inner join period_months as pm
        on o.month = pm.month
    where o.month in {{months}} and ordered_at < pm.period_end
        and delivered_at >= entered_at
        -- An order with any later timestamp before an earlier one is left out (operations.sql).
        and coalesce(notified_at >= ordered_at, true)
        and coalesce(entered_at >= notified_at, true)
        and coalesce(delivered_at >= ordered_at, true)
),

order_entry_times as (
    select pm.period, 'order_entry_time' as kpi, 'all' as channel, 'all' as category, 'all' as priority, 'all' as team, o.month,
        to_unixtime(entered_at) - to_unixtime(notified_at) as seconds
    from orders as o
    inner join period_months as pm
        on o.month = pm.month
    where o.month in {{months}} and ordered_at < pm.period_end
        and entered_at >= notified_at
        and coalesce(notified_at >= ordered_at, true)
        and coalesce(delivered_at >= ordered_at, true)
        and coalesce(delivered_at >= entered_at, true)
),

durations as (
    select * from first_replies
    union all
    select * from resolutions
    union all
    select * from handle_times
    union all
    select * from queue_answer_times
    union all
    select * from order_processing_times
    union all
    select * from order_entry_times
),

-- Each KPI's durations overall (dimension '') and per member of each breakdown, in order.
members as (
    select
        period,
        kpi,
        case
            when grouping(channel) = 0 then 'channel'
            when grouping(category) = 0 then 'category'
            when grouping(priority) = 0 then 'priority'
            when grouping(team) = 0 then 'team'
            when grouping(month) = 0 then 'month'
            else ''
        end as dimension,
        case
            when grouping(channel) = 0 then channel
            when grouping(category) = 0 then category
            when grouping(priority) = 0 then priority
            when grouping(team) = 0 then team
            when grouping(month) = 0 then month
            else ''
        end as member,
        count(*) as n,
        -- Summed as decimals (ms timestamps, µs at most in a source), so in any order the same.
        cast(sum(cast(seconds as decimal(38, 6))) as double) / count(seconds) as mean,
        array_sort(array_agg(seconds)) as sorted
    from durations
    group by grouping sets (
        (period, kpi),
        (period, kpi, channel),
        (period, kpi, category),
        (period, kpi, priority),
        (period, kpi, team),
        (period, kpi, month)
    )
),

-- The durations at the ranks (from 0) floor((n - 1) * q) and the one after it, if there is one
-- (arrays count from 1).
quantile_points as (
    select
        period,
        kpi,
        dimension,
        member,
        n,
        mean,
        sorted[cast(floor((n - 1) * 0.5) as bigint) + 1] as p50_low,
        case
            when floor((n - 1) * 0.5) + 1 < n then sorted[cast(floor((n - 1) * 0.5) as bigint) + 2]
        end as p50_high,
        sorted[cast(floor((n - 1) * 0.9) as bigint) + 1] as p90_low,
        case
            when floor((n - 1) * 0.9) + 1 < n then sorted[cast(floor((n - 1) * 0.9) as bigint) + 2]
        end as p90_high
    from members
),

final as (
    select
        period,
        kpi,
        dimension,
        member,
        p50_low + ((n - 1) * 0.5 - floor((n - 1) * 0.5)) * (coalesce(p50_high, p50_low) - p50_low) as p50,
        p90_low + ((n - 1) * 0.9 - floor((n - 1) * 0.9)) * (coalesce(p90_high, p90_low) - p90_low) as p90,
        mean,
        n
    from quantile_points
)

select * from final
