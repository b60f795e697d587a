-- ticket_speed: first replies per creation month, channel, team and priority.
-- Additive (counts and sums), so any roll-up an analyst makes is exact; the medians and the
-- p90 of the catalog's duration KPIs are in kpi_monthly. Tickets whose reply precedes their
-- creation have no duration (impossible_times counts them).

with created as (
    select * from int_tickets
),

final as (
    select
        channel,
        team,
        priority,
        count(*) as tickets,
        count(first_reply_seconds) as replied,
        cast(sum(cast(first_reply_seconds as decimal(38, 6))) as double) as first_reply_seconds_sum,
        cast(count_if(first_reply_seconds <= sla_reply_seconds) as bigint) as replied_within_sla,
        cast(count_if(not has_valid_times) as bigint) as impossible_times,
        created_month as month
    from created
    group by
        channel,
        team,
        priority,
        created_month
)

select * from final
