-- stg_customers: Customers (accounts): one row per customer.
-- Generated from functions/model by `npm run generate:files`; edit the entity, not this file.
-- Latest version of each id wins (by ingestion order).

with raw_records as (
    select * from raw_customers
),

ranked_versions as (
    select
        *,
        row_number() over (
            partition by id
            order by _run desc, _seq desc
        ) as version_rank
    from raw_records
),

final as (
    select
        id,
        segment,
        region,
        signed_up_on
    from ranked_versions
    where version_rank = 1
)

select * from final
