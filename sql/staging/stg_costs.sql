-- stg_costs: Cost ledger: one row per period, cost centre, category, channel and team.
-- Generated from functions/model by `npm run generate:files`; edit the entity, not this file.
-- Latest version of each period + cost_center + category + channel + team wins (by ingestion order).

with raw_records as (
    select * from raw_costs
),

ranked_versions as (
    select
        *,
        row_number() over (
            partition by period, cost_center, category, channel, team
            order by _run desc, _seq desc
        ) as version_rank
    from raw_records
),

final as (
    select
        period,
        cost_center,
        category,
        channel,
        team,
        amount,
        currency,
        period as month
    from ranked_versions
    where version_rank = 1
)

select * from final
