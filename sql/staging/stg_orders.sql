-- stg_orders: Customer orders, for the order-handling KPIs (SCOR perfect order).
-- Generated from functions/model by `npm run generate:files`; edit the entity, not this file.
-- Latest version of each id wins (by ingestion order).

with raw_records as (
    select * from raw_orders
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
        customer_id,
        ordered_at,
        notified_at,
        entered_at,
        shipped_at,
        delivered_at,
        entry_errors,
        items_requested,
        items_shipped_first,
        invoice_accurate,
        status_updates_accurate,
        substr(cast(cast(at_timezone(ordered_at, {{timezone}}) as date) as varchar), 1, 7) as month
    from ranked_versions
    where version_rank = 1
)

select * from final
