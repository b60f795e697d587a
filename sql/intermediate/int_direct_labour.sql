-- int_direct_labour: one row per agent_time row, its direct labour (hours worked × the agent's
-- loaded hourly cost) under the agent's team ('unassigned' when none). The trc mart and
-- sql/kpis/cost.sql both read it (as ref('int_direct_labour')), so the rule lives here alone.
select
    t.month,
    t."date",
    coalesce(a.team, 'unassigned') as team,
    t.hours_worked * cast(coalesce(a.loaded_hourly_cost, 0) as double) as amount
from agent_time as t
left join agents as a
    on t.agent_id = a.id
