-- int_tickets: one row per curated ticket with its business-time-zone dates, durations in
-- seconds (differences of UTC instants: a DST change does not shorten a ticket), the
-- impossible-timestamp flag and the SLA targets of its priority.

with tickets_curated as (
    select * from tickets
),

local_dates as (
    select
        *,
        cast(at_timezone(created_at, {{timezone}}) as date) as created_date,
        cast(at_timezone(solved_at, {{timezone}}) as date) as solved_date,
        case
            when first_response_at < created_at then 'reply_before_created'
            when solved_at < created_at then 'solved_before_created'
            when closed_at < created_at then 'closed_before_created'
        end as invalid_time_reason
    from tickets_curated
),

durations as (
    select
        *,
        case
            when invalid_time_reason is null and first_response_at is not null
                then to_unixtime(first_response_at) - to_unixtime(created_at)
        end as first_reply_seconds,
        case
            when invalid_time_reason is null and solved_at is not null
                then to_unixtime(solved_at) - to_unixtime(created_at)
        end as resolution_seconds,
        -- A double whatever the configured hours (8 or 1.5): one column type for the catalog.
        cast(case priority
            when 'urgent' then {{sla_urgent_reply_hours}}
            when 'high' then {{sla_high_reply_hours}}
            when 'low' then {{sla_low_reply_hours}}
            else {{sla_normal_reply_hours}}
        end * 3600 as double) as sla_reply_seconds,
        cast(case priority
            when 'urgent' then {{sla_urgent_resolution_hours}}
            when 'high' then {{sla_high_resolution_hours}}
            when 'low' then {{sla_low_resolution_hours}}
            else {{sla_normal_resolution_hours}}
        end * 3600 as double) as sla_resolution_seconds
    from local_dates
),

final as (
    select
        id as ticket_id,
        customer_id,
        channel,
        coalesce(category, 'uncategorised') as category,
        priority,
        coalesce(team, 'unassigned') as team,
        assignee_id,
        created_at,
        first_response_at,
        solved_at,
        closed_at,
        created_date,
        substr(cast(created_date as varchar), 1, 7) as created_month,
        day_of_week(created_date) as created_weekday,
        day_of_month(created_date) as created_day_of_month,
        solved_date,
        substr(cast(solved_date as varchar), 1, 7) as solved_month,
        invalid_time_reason,
        invalid_time_reason is null as has_valid_times,
        first_reply_seconds,
        resolution_seconds,
        sla_reply_seconds,
        sla_resolution_seconds,
        coalesce(category, '') in {{complaint_categories}} as is_complaint,
        is_escalated,
        reopens,
        reopens > 0 as is_reopened,
        coalesce(agent_replies, 0) as agent_replies,
        coalesce(handle_seconds, 0) as handle_seconds,
        satisfaction
    from durations
)

select * from final
