-- int_cost_ledger: one row per cost-ledger row, 'shared' where it names no channel or team. The
-- trc mart and sql/kpis/cost.sql both read it (as ref('int_cost_ledger')). The amount stays the
-- lake's decimal(18,2), so its sums are exact (docs/design.md, "Exact sums").
select
    month,
    category,
    coalesce(channel, 'shared') as channel,
    coalesce(team, 'shared') as team,
    amount
from costs
