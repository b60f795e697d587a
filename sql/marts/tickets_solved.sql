-- tickets_solved: one row per ticket in the month of its last solve (business time zone).
-- Feeds resolution time, SLA attainment, effort, CSAT response rate and agent output.

with enriched as (
    select * from int_tickets
),

final as (
    select
        *,
        solved_month as month
    from enriched
    where solved_at is not null
)

select * from final
