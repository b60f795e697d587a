-- ticket_quality: solved tickets per solve month, channel and team: reopens, escalations,
-- resolution within the SLA, and the satisfaction ratings they got.
-- Additive (counts and sums), so any roll-up an analyst makes is exact.

with solved as (
    select * from int_tickets
    where solved_month is not null
),

final as (
    select
        channel,
        team,
        count(*) as solved,
        cast(count_if(is_reopened) as bigint) as reopened,
        cast(count_if(is_escalated) as bigint) as escalated,
        count(resolution_seconds) as resolution_measured,
        cast(sum(cast(resolution_seconds as decimal(38, 6))) as double) as resolution_seconds_sum,
        cast(count_if(resolution_seconds <= sla_resolution_seconds) as bigint) as resolved_within_sla,
        count(satisfaction) as rated,
        cast(count_if(satisfaction >= 4) as bigint) as satisfied,
        solved_month as month
    from solved
    group by
        channel,
        team,
        solved_month
)

select * from final
