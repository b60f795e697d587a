-- durations: every duration KPI, overall and per member of each breakdown: first_reply_time
-- (tickets created in the period), full_resolution_time (solved in the period), handle_time and
-- queue_answer_time (answered contacts queued in the period), order_processing_time and
-- order_entry_time (orders placed in the period).
-- p50 is the exact median and p90 the linear interpolation between the ranks around
-- (n - 1) * q, i.e. quantile_cont / numpy's default; written with window functions because
-- Trino offers only approx_percentile. Tickets with impossible timestamps have null durations.
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

members as (
    select period, kpi, '' as dimension, '' as member, seconds from durations
    union all
    select period, kpi, 'channel' as dimension, channel as member, seconds from durations
    union all
    select period, kpi, 'category' as dimension, category as member, seconds from durations
    union all
    select period, kpi, 'priority' as dimension, priority as member, seconds from durations
    union all
    select period, kpi, 'team' as dimension, team as member, seconds from durations
    union all
    select period, kpi, 'month' as dimension, month as member, seconds from durations
),

ranked as (
    select
        period,
        kpi,
        dimension,
        member,
        seconds,
        row_number() over (partition by period, kpi, dimension, member order by seconds) - 1 as rank_0,
        count(*) over (partition by period, kpi, dimension, member) as n
    from members
),

quantile_points as (
    select
        period,
        kpi,
        dimension,
        member,
        max(n) as n,
        -- Summed as decimals (ms timestamps, µs at most in a source), so in any order the same.
        cast(sum(cast(seconds as decimal(38, 6))) as double) / count(seconds) as mean,
        max(case when rank_0 = floor((n - 1) * 0.5) then seconds end) as p50_low,
        max(case when rank_0 = floor((n - 1) * 0.5) + 1 then seconds end) as p50_high,
        max(case when rank_0 = floor((n - 1) * 0.9) then seconds end) as p90_low,
        max(case when rank_0 = floor((n - 1) * 0.9) + 1 then seconds end) as p90_high
    from ranked
    group by period, kpi, dimension, member
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
