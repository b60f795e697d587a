-- ticket_status: the open backlog at the period end (rebuilt from timestamps, never from
-- today's status), CSAT with its response rate, and the tickets left out of time metrics.

with backlog as (
    select channel, priority, team
    from tickets_created
    where month <= {{last_month}}
        and created_at < {{period_end}}
        and (solved_at is null or solved_at >= {{period_end}})
        and (closed_at is null or closed_at >= {{period_end}})
),

solved as (
    select * from tickets_solved
    where month in {{months}} and solved_at < {{period_end}}
),

survey_answers as (
    select
        s.score,
        coalesce(t.channel, 'unknown') as channel,
        coalesce(t.team, 'unknown') as team,
        s.month
    from surveys as s
    left join int_tickets as t
        on s.ticket_id = t.ticket_id
    where s.month in {{months}} and s.answered_at < {{period_end}}
        and s.kind = 'csat'
        and {{csat_from_surveys}}
),

ticket_ratings as (
    select satisfaction as score, channel, team, month
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
    select ticket_id, invalid_time_reason from tickets_created
    where month in {{months}} and created_at < {{period_end}} and invalid_time_reason is not null
    union
    select ticket_id, invalid_time_reason from solved
    where invalid_time_reason is not null
),

final as (
    select 'backlog_open' as kpi, '' as dimension, '' as member, cast(count(*) as double) as numerator, cast(null as double) as denominator from backlog
    union all
    select 'backlog_open', 'channel', channel, count(*), null from backlog group by channel
    union all
    select 'backlog_open', 'priority', priority, count(*), null from backlog group by priority
    union all
    select 'backlog_open', 'team', team, count(*), null from backlog group by team
    union all
    select 'csat', '', '', count_if(score >= 4), count(*) from csat_answers
    union all
    select 'csat', 'channel', channel, count_if(score >= 4), count(*) from csat_answers group by channel
    union all
    select 'csat', 'team', team, count_if(score >= 4), count(*) from csat_answers group by team
    union all
    select 'csat', 'month', month, count_if(score >= 4), count(*) from csat_answers group by month
    union all
    select 'csat_solved_tickets', '', '', count(*), null from solved
    union all
    select 'excluded_from_time_metrics', 'reason', invalid_time_reason, count(*), null from excluded group by invalid_time_reason
)

select * from final
