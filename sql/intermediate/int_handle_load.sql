-- int_handle_load: one row per ticket, in the month it was created, with its channel, its
-- customer's segment ('unknown' when none) and its handle seconds: the load that direct labour
-- and the ledger are allocated by. The trc mart and sql/kpis/cost.sql both read it
-- (as ref('int_handle_load')).
select
    t.month,
    t.created_at,
    t.channel,
    coalesce(cu.segment, 'unknown') as segment,
    t.handle_seconds
from tickets_created as t
left join customers as cu
    on t.customer_id = cu.id
