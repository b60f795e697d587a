-- ticket_rates: every ticket count and rate as numerator ÷ denominator, overall and per
-- member of each breakdown, so the evaluator can decompose a change into mix and rate.
-- A KPI whose denominator is null is a count (value = numerator).
-- Measured for each period of report_periods at once (functions/stages/periodsSql.ts): a ticket
-- counts in the period whose months hold its month, if it came before the period's end (a month
-- to date ends early); the filter on the months of them all only keeps the engine to their partitions.

with period_months as (
    select pm.period, pm.month, p.period_end
    from {{report_period_months}} as pm
    inner join {{report_periods}} as p
        on pm.period = p.period
),

created as (
    select pm.period, t.*
    from tickets_created as t
    inner join period_months as pm
        on t.month = pm.month
    where t.month in {{months}} and t.created_at < pm.period_end
),

solved as (
    select pm.period, t.*
    from tickets_solved as t
    inner join period_months as pm
        on t.month = pm.month
    where t.month in {{months}} and t.solved_at < pm.period_end
),

created_facts as (
    select
        period, channel, category, priority, team, created_month as month,
        cast(created_weekday as varchar) as weekday,
        cast(created_day_of_month as varchar) as day_of_month,
        cast(created_date as varchar) as day,
        1 as tickets_created_num,
        case when is_complaint then 1 else 0 end as complaints_num,
        case when is_complaint and is_escalated then 1 else 0 end as complaint_escalated_num,
        case when is_escalated then 1 else 0 end as escalated_num,
        case when first_reply_seconds is not null then 1 else 0 end as replied_den,
        case when first_reply_seconds <= 86400 then 1 else 0 end as replied_24h_num
    from created
),

solved_facts as (
    select
        period, channel, category, priority, team, solved_month as month,
        1 as solved_num,
        case when resolution_seconds is not null then 1 else 0 end as resolved_den,
        case when resolution_seconds <= 172800 then 1 else 0 end as resolved_2d_num,
        case when has_valid_times then 1 else 0 end as sla_den,
        case
            when has_valid_times
                and (first_reply_seconds is null or first_reply_seconds <= sla_reply_seconds)
                and resolution_seconds <= sla_resolution_seconds
                then 1 else 0
        end as sla_num,
        case when has_valid_times and (first_reply_seconds is null or first_reply_seconds <= sla_reply_seconds) then 1 else 0 end as sla_reply_num,
        case when has_valid_times and resolution_seconds <= sla_resolution_seconds then 1 else 0 end as sla_resolution_num,
        case when agent_replies < 2 then 1 else 0 end as one_touch_num,
        case when is_reopened then 1 else 0 end as reopened_num,
        agent_replies,
        case when invalid_time_reason is null then 0 else 1 end as invalid_num
    from solved
),

measures as (
    select period, 'tickets_created' as kpi, channel, category, priority, team, month, weekday, day_of_month, day, tickets_created_num as num, cast(null as integer) as den from created_facts
    union all
    select period, 'complaints', channel, category, priority, team, month, weekday, day_of_month, day, complaints_num, null from created_facts
    union all
    select period, 'complaint_escalation_trend', channel, category, priority, team, month, weekday, day_of_month, day, complaint_escalated_num, complaints_num from created_facts
    union all
    select period, 'escalation_rate', channel, category, priority, team, month, weekday, day_of_month, day, escalated_num, 1 from created_facts
    union all
    select period, 'replied_within_24h_rate', channel, category, priority, team, month, weekday, day_of_month, day, replied_24h_num, replied_den from created_facts
    union all
    select period, 'tickets_solved', channel, category, priority, team, month, null, null, null, solved_num, null from solved_facts
    union all
    select period, 'resolved_within_2d_rate', channel, category, priority, team, month, null, null, null, resolved_2d_num, resolved_den from solved_facts
    union all
    select period, 'sla_attainment', channel, category, priority, team, month, null, null, null, sla_num, sla_den from solved_facts
    union all
    select period, 'one_touch_rate', channel, category, priority, team, month, null, null, null, one_touch_num, solved_num from solved_facts
    union all
    select period, 'reopen_rate', channel, category, priority, team, month, null, null, null, reopened_num, solved_num from solved_facts
    union all
    select period, 'replies_per_solved_ticket', channel, category, priority, team, month, null, null, null, agent_replies, solved_num from solved_facts
),

members as (
    select period, kpi, '' as dimension, '' as member, num, den from measures
    union all
    select period, kpi, 'channel', channel, num, den from measures
    union all
    select period, kpi, 'category', category, num, den from measures
    union all
    select period, kpi, 'priority', priority, num, den from measures
    union all
    select period, kpi, 'team', team, num, den from measures
    union all
    select period, kpi, 'month', month, num, den from measures
    union all
    select period, kpi, 'weekday', weekday, num, den from measures where weekday is not null
    union all
    select period, kpi, 'day_of_month', day_of_month, num, den from measures where day_of_month is not null
    union all
    select period, kpi, 'day', day, num, den from measures where day is not null and kpi = 'tickets_created'
),

sla_targets as (
    -- One row per period, a period with nothing solved too (its sums null).
    select p.period, 'sla_attainment' as kpi, 'target' as dimension, 'first_reply' as member, sum(f.sla_reply_num) as numerator, sum(f.sla_den) as denominator
    from {{report_periods}} as p left join solved_facts as f on f.period = p.period
    group by p.period
    union all
    select p.period, 'sla_attainment', 'target', 'resolution', sum(f.sla_resolution_num), sum(f.sla_den)
    from {{report_periods}} as p left join solved_facts as f on f.period = p.period
    group by p.period
),

final as (
    select
        period,
        kpi,
        dimension,
        member,
        cast(sum(num) as double) as numerator,
        cast(sum(den) as double) as denominator
    from members
    group by period, kpi, dimension, member
    union all
    select period, kpi, dimension, member, cast(numerator as double), cast(denominator as double) from sla_targets
)

select * from final
