-- durations: every duration KPI, overall and per member of each breakdown: first_reply_time
-- (tickets created in the period), full_resolution_time (solved in the period), handle_time and
-- queue_answer_time (answered contacts queued in the period), order_processing_time and
-- order_entry_time (orders placed in the period).
-- p50 is the exact median and p90 the linear interpolation between the ranks around
-- (n - 1) * q, i.e. quantile_cont / numpy's default; written with window functions because
-- Trino offers only approx_percentile. Tickets with impossible timestamps have null durations.

with first_replies as (
    select
        'first_reply_time' as kpi,
        channel,
        category,
        priority,
        team,
        created_month as month,
        cast(first_reply_seconds as double) as seconds
    from tickets_created
    where month in {{months}} and created_at < {{period_end}}
        and first_reply_seconds is not null
),

resolutions as (
    select
        'full_resolution_time' as kpi,
        channel,
        category,
        priority,
        team,
        solved_month as month,
        cast(resolution_seconds as double) as seconds
    from tickets_solved
    where month in {{months}} and solved_at < {{period_end}}
        and resolution_seconds is not null
),

agent_teams as (
    select id as agent_id, team from agents
),

answered_contacts as (
    select
        c.channel,
        coalesce(a.team, 'unassigned') as team,
        c.month,
        c.queued_at,
        c.answered_at,
        c.talk_seconds + c.hold_seconds + c.after_contact_seconds as handle_seconds
    from contacts as c
    left join agent_teams as a
        on c.agent_id = a.agent_id
    where c.month in {{months}} and c.queued_at < {{period_end}}
        and c.answered_at is not null
        and not c.abandoned
),

handle_times as (
    select 'handle_time' as kpi, channel, 'all' as category, 'all' as priority, team, month, cast(handle_seconds as double) as seconds
    from answered_contacts
),

queue_answer_times as (
    select 'queue_answer_time' as kpi, channel, 'all' as category, 'all' as priority, team, month,
        to_unixtime(answered_at) - to_unixtime(queued_at) as seconds
    from answered_contacts
    where answered_at >= queued_at
),

order_processing_times as (
    select 'order_processing_time' as kpi, 'all' as channel, 'all' as category, 'all' as priority, 'all' as team, month,
        to_unixtime(delivered_at) - to_unixtime(entered_at) as seconds
    from orders
    where month in {{months}} and ordered_at < {{period_end}}
        and delivered_at >= entered_at
        -- An order with any later timestamp before an earlier one is left out (operations.sql).
        and coalesce(notified_at >= ordered_at, true)
        and coalesce(entered_at >= notified_at, true)
        and coalesce(delivered_at >= ordered_at, true)
),

order_entry_times as (
    select 'order_entry_time' as kpi, 'all' as channel, 'all' as category, 'all' as priority, 'all' as team, month,
        to_unixtime(entered_at) - to_unixtime(notified_at) as seconds
    from orders
    where month in {{months}} and ordered_at < {{period_end}}
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
    select kpi, '' as dimension, '' as member, seconds from durations
    union all
    select kpi, 'channel' as dimension, channel as member, seconds from durations
    union all
    select kpi, 'category' as dimension, category as member, seconds from durations
    union all
    select kpi, 'priority' as dimension, priority as member, seconds from durations
    union all
    select kpi, 'team' as dimension, team as member, seconds from durations
    union all
    select kpi, 'month' as dimension, month as member, seconds from durations
),

ranked as (
    select
        kpi,
        dimension,
        member,
        seconds,
        row_number() over (partition by kpi, dimension, member order by seconds) - 1 as rank_0,
        count(*) over (partition by kpi, dimension, member) as n
    from members
),

quantile_points as (
    select
        kpi,
        dimension,
        member,
        max(n) as n,
        avg(seconds) as mean,
        max(case when rank_0 = floor((n - 1) * 0.5) then seconds end) as p50_low,
        max(case when rank_0 = floor((n - 1) * 0.5) + 1 then seconds end) as p50_high,
        max(case when rank_0 = floor((n - 1) * 0.9) then seconds end) as p90_low,
        max(case when rank_0 = floor((n - 1) * 0.9) + 1 then seconds end) as p90_high
    from ranked
    group by kpi, dimension, member
),

final as (
    select
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
