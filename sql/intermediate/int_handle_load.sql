-- int_handle_load: one row per ticket, in the month it was created, with its channel, its
-- customer's segment ('unknown' when none) and its handle seconds: the load that direct labour
-- and the ledger are allocated by. The trc mart and sql/kpis/cost.sql both read it
-- (as ref('int_handle_load')). Its seconds are exact, decimal(38, 6), so their sums are exact
-- and the same in any order (docs/design.md, "Exact sums").
select
    t.month,
    t.created_at,
    t.channel,
    coalesce(cu.segment, 'unknown') as segment,
    cast(t.handle_seconds as decimal(38, 6)) as handle_seconds
from tickets_created as t
left join customers as cu
    on t.customer_id = cu.id
