-- int_cost_ledger: one row per cost-ledger row, 'shared' where it names no channel or team. The
-- trc mart and sql/kpis/cost.sql both read it (as ref('int_cost_ledger')).
select
    month,
    category,
    coalesce(channel, 'shared') as channel,
    coalesce(team, 'shared') as team,
    cast(amount as double) as amount
from costs
