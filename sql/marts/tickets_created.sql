-- tickets_created: one row per ticket in the month it was created (business time zone).
-- Feeds volume, first reply, escalation, complaints and conversion; analysts query it directly.

with enriched as (
    select * from int_tickets
),

final as (
    select
        *,
        created_month as month
    from enriched
)

select * from final
