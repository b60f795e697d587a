-- ticket_status: the open backlog at the period end (rebuilt from timestamps, never from
-- today's status), CSAT with its response rate, and the tickets left out of time metrics.
-- Measured for each period of report_periods at once (functions/stages/periodsSql.ts); the
-- filter on the months of them all only keeps the engine to their partitions.

with period_months as (
    select pm.period, pm.month, p.period_end
    from {{report_period_months}} as pm
    inner join {{report_periods}} as p
        on pm.period = p.period
),

-- A ticket is open from its creation until it is first solved or closed (never, if neither).
open_tickets as (
    select
        channel, priority, team, month, created_at,
        coalesce(least(solved_at, closed_at), solved_at, closed_at, timestamp '9999-12-31 00:00:00') as open_until
    from tickets_created
    where month <= {{last_month}}
),

-- Open at a period's end, whichever month it was created in: an interval join of tickets and periods.
backlog as (
    select p.period, t.channel, t.priority, t.team
    from open_tickets as t
    inner join {{report_periods}} as p
        on t.created_at < p.period_end and p.period_end <= t.open_until
    where t.month <= p.last_month
),

solved as (
    select pm.period, t.*
    from tickets_solved as t
    inner join period_months as pm
        on t.month = pm.month
    where t.month in {{months}} and t.solved_at < pm.period_end
),

survey_answers as (
    select
        pm.period,
        s.score,
        coalesce(t.channel, 'unknown') as channel,
        coalesce(t.team, 'unknown') as team,
        s.month
    from surveys as s
    inner join period_months as pm
        on s.month = pm.month
    left join int_tickets as t
        on s.ticket_id = t.ticket_id
    where s.month in {{months}} and s.answered_at < pm.period_end
        and s.kind = 'csat'
        and {{csat_from_surveys}}
),

ticket_ratings as (
    select period, satisfaction as score, channel, team, month
    from solved
    where satisfaction is not null
        and not {{csat_from_surveys}}
),

csat_answers as (
    select * from survey_answers
    union all
    select * from ticket_ratings
),

excluded as (
    select pm.period, t.ticket_id, t.invalid_time_reason
    from tickets_created as t
    inner join period_months as pm
        on t.month = pm.month
    where t.month in {{months}} and t.created_at < pm.period_end and t.invalid_time_reason is not null
    union
    select period, ticket_id, invalid_time_reason from solved
    where invalid_time_reason is not null
),

-- The headlines are one row per period, a period with nothing in it too (a count of 0).
final as (
    select p.period, 'backlog_open' as kpi, '' as dimension, '' as member, cast(count(b.period) as double) as numerator, cast(null as double) as denominator
    from {{report_periods}} as p left join backlog as b on b.period = p.period group by p.period
    union all
    select period, 'backlog_open', 'channel', channel, count(*), null from backlog group by period, channel
    union all
    select period, 'backlog_open', 'priority', priority, count(*), null from backlog group by period, priority
    union all
    select period, 'backlog_open', 'team', team, count(*), null from backlog group by period, team
    union all
    select p.period, 'csat', '', '', count_if(a.score >= 4), count(a.period)
    from {{report_periods}} as p left join csat_answers as a on a.period = p.period group by p.period
    union all
    select period, 'csat', 'channel', channel, count_if(score >= 4), count(*) from csat_answers group by period, channel
    union all
    select period, 'csat', 'team', team, count_if(score >= 4), count(*) from csat_answers group by period, team
    union all
    select period, 'csat', 'month', month, count_if(score >= 4), count(*) from csat_answers group by period, month
    union all
    select p.period, 'csat_solved_tickets', '', '', count(s.period), null
    from {{report_periods}} as p left join solved as s on s.period = p.period group by p.period
    union all
    select period, 'excluded_from_time_metrics', 'reason', invalid_time_reason, count(*), null
    from excluded group by period, invalid_time_reason
)

select * from final
