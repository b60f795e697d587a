-- volume_daily: tickets created per business day, channel, category and priority.
-- The history the forecast and the busy-day views read.

with enriched as (
    select * from int_tickets
),

final as (
    select
        created_date,
        created_weekday,
        channel,
        category,
        priority,
        count(*) as tickets,
        created_month as month
    from enriched
    group by
        created_date,
        created_weekday,
        channel,
        category,
        priority,
        created_month
)

select * from final
