-- int_direct_labour: one row per agent_time row, its direct labour (hours worked × the agent's
-- loaded hourly cost) under the agent's team ('unassigned' when none). The trc mart and
-- sql/kpis/cost.sql both read it (as ref('int_direct_labour')), so the rule lives here alone.
-- The amount is exact, decimal(38, 11): the hours at scale 9 times the cost at scale 2, so any
-- sum of it is exact and the same in any order (docs/design.md, "Exact sums").
select
    t.month,
    t."date",
    coalesce(a.team, 'unassigned') as team,
    cast(t.hours_worked as decimal(38, 9)) * coalesce(a.loaded_hourly_cost, 0) as amount
from agent_time as t
left join agents as a
    on t.agent_id = a.id
