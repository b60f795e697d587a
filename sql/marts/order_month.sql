-- order_month: the orders placed in each month, counted by the SCOR perfect-order components
-- the catalog measures. Additive: any roll-up over months is exact.

with placed as (
    select
        month,
        items_shipped_first >= items_requested as in_full,
        delivered_at is not null
            and to_unixtime(delivered_at) - to_unixtime(ordered_at) <= {{promised_delivery_days}} * 86400 as on_time,
        delivered_at is not null as delivered,
        entered_at is not null as entered,
        entered_at is not null and entry_errors = 0 as entered_clean,
        invoice_accurate,
        status_updates_accurate,
        entry_errors,
        items_requested,
        items_shipped_first
    from orders
),

final as (
    select
        count(*) as orders,
        cast(count_if(in_full and on_time and invoice_accurate and status_updates_accurate and entry_errors = 0) as bigint) as perfect,
        cast(count_if(in_full) as bigint) as in_full,
        cast(count_if(on_time) as bigint) as on_time,
        cast(count_if(delivered) as bigint) as delivered,
        cast(count_if(entered) as bigint) as entered,
        cast(count_if(entered_clean) as bigint) as entered_without_error,
        cast(count_if(invoice_accurate) as bigint) as invoice_accurate,
        cast(count_if(status_updates_accurate) as bigint) as status_accurate,
        cast(coalesce(sum(items_requested), 0) as bigint) as items_requested,
        cast(coalesce(sum(items_shipped_first), 0) as bigint) as items_shipped_first,
        month
    from placed
    group by month
)

select * from final
