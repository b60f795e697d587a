-- ticket_rates: every ticket count and rate as numerator ÷ denominator, overall and per
-- member of each breakdown, so the evaluator can decompose a change into mix and rate.
-- A KPI whose denominator is null is a count (value = numerator).
-- Each measure is summed in one aggregation, overall and per breakdown member (one grouping set a
-- breakdown: no ticket is copied once per breakdown), and only those sums become a row per KPI.
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
        agent_replies
    from solved
),

-- The created tickets' sums overall (dimension '') and per member of each breakdown.
created_totals as (
    select
        period,
        case
            when grouping(channel) = 0 then 'channel'
            when grouping(category) = 0 then 'category'
            when grouping(priority) = 0 then 'priority'
            when grouping(team) = 0 then 'team'
            when grouping(month) = 0 then 'month'
            when grouping(weekday) = 0 then 'weekday'
            when grouping(day_of_month) = 0 then 'day_of_month'
            when grouping(day) = 0 then 'day'
            else ''
        end as dimension,
        case
            when grouping(channel) = 0 then channel
            when grouping(category) = 0 then category
            when grouping(priority) = 0 then priority
            when grouping(team) = 0 then team
            when grouping(month) = 0 then month
            when grouping(weekday) = 0 then weekday
            when grouping(day_of_month) = 0 then day_of_month
            when grouping(day) = 0 then day
            else ''
        end as member,
        sum(tickets_created_num) as tickets_created_num,
        sum(complaints_num) as complaints_num,
        sum(complaint_escalated_num) as complaint_escalated_num,
        sum(escalated_num) as escalated_num,
        sum(replied_den) as replied_den,
        sum(replied_24h_num) as replied_24h_num
    from created_facts
    group by grouping sets (
        (period),
        (period, channel),
        (period, category),
        (period, priority),
        (period, team),
        (period, month),
        (period, weekday),
        (period, day_of_month),
        (period, day)
    )
),

-- The solved tickets' sums overall and per member of each breakdown (a solve has no weekday or day).
solved_totals as (
    select
        period,
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
        sum(solved_num) as solved_num,
        sum(resolved_den) as resolved_den,
        sum(resolved_2d_num) as resolved_2d_num,
        sum(sla_den) as sla_den,
        sum(sla_num) as sla_num,
        sum(sla_reply_num) as sla_reply_num,
        sum(sla_resolution_num) as sla_resolution_num,
        sum(one_touch_num) as one_touch_num,
        sum(reopened_num) as reopened_num,
        sum(agent_replies) as agent_replies
    from solved_facts
    group by grouping sets (
        (period),
        (period, channel),
        (period, category),
        (period, priority),
        (period, team),
        (period, month)
    )
),

-- Each KPI's numerator and denominator (null for a count) from the sums, one row per KPI and member.
-- A weekday, day of month or day left unknown is no member; days break down tickets_created alone.
created_kpis as (
    select
        t.period,
        k.kpi,
        t.dimension,
        t.member,
        case k.kpi
            when 'tickets_created' then t.tickets_created_num
            when 'complaints' then t.complaints_num
            when 'complaint_escalation_trend' then t.complaint_escalated_num
            when 'escalation_rate' then t.escalated_num
            when 'replied_within_24h_rate' then t.replied_24h_num
        end as numerator,
        case k.kpi
            when 'complaint_escalation_trend' then t.complaints_num
            when 'escalation_rate' then t.tickets_created_num
            when 'replied_within_24h_rate' then t.replied_den
        end as denominator
    from created_totals as t
    cross join (
        values ('tickets_created'), ('complaints'), ('complaint_escalation_trend'), ('escalation_rate'),
            ('replied_within_24h_rate')
    ) as k (kpi)
    where (t.member is not null or t.dimension not in ('weekday', 'day_of_month', 'day'))
        and (t.dimension <> 'day' or k.kpi = 'tickets_created')
),

solved_kpis as (
    select
        t.period,
        k.kpi,
        t.dimension,
        t.member,
        case k.kpi
            when 'tickets_solved' then t.solved_num
            when 'resolved_within_2d_rate' then t.resolved_2d_num
            when 'sla_attainment' then t.sla_num
            when 'one_touch_rate' then t.one_touch_num
            when 'reopen_rate' then t.reopened_num
            when 'replies_per_solved_ticket' then t.agent_replies
        end as numerator,
        case k.kpi
            when 'resolved_within_2d_rate' then t.resolved_den
            when 'sla_attainment' then t.sla_den
            when 'one_touch_rate' then t.solved_num
            when 'reopen_rate' then t.solved_num
            when 'replies_per_solved_ticket' then t.solved_num
        end as denominator
    from solved_totals as t
    cross join (
        values ('tickets_solved'), ('resolved_within_2d_rate'), ('sla_attainment'), ('one_touch_rate'),
            ('reopen_rate'), ('replies_per_solved_ticket')
    ) as k (kpi)
),

sla_targets as (
    -- One row per period and target, a period with nothing solved too (its sums null).
    select
        p.period,
        'sla_attainment' as kpi,
        'target' as dimension,
        k.member,
        case k.member when 'first_reply' then t.sla_reply_num else t.sla_resolution_num end as numerator,
        t.sla_den as denominator
    from {{report_periods}} as p
    cross join (values ('first_reply'), ('resolution')) as k (member)
    left join solved_totals as t
        on t.period = p.period and t.dimension = ''
),

final as (
    select
        period,
        kpi,
        dimension,
        member,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator
    from created_kpis
    union all
    select period, kpi, dimension, member, cast(numerator as double), cast(denominator as double) from solved_kpis
    union all
    select period, kpi, dimension, member, cast(numerator as double), cast(denominator as double) from sla_targets
)

select * from final
