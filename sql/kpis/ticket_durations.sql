-- ticket_durations: first_reply_time (tickets created in the period) and full_resolution_time
-- (tickets solved in the period), overall and per member of each breakdown.
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
    where month in {{months}}
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
    where month in {{months}}
        and resolution_seconds is not null
),

durations as (
    select * from first_replies
    union all
    select * from resolutions
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
