-- operations: queued contacts (service level, abandonment), orders (SCOR perfect order and its
-- parts), self-service ease and agent output, as numerator ÷ denominator per member.
-- A ratio's denominator is never null (coalesce to 0): null marks a count, and 0 gives no value.

with queued as (
    select
        channel,
        month,
        case when abandoned then 1 else 0 end as abandoned_num,
        case
            when not abandoned and answered_at is not null
                and to_unixtime(answered_at) - to_unixtime(queued_at) <= {{service_level_seconds}}
                then 1 else 0
        end as in_service_level_num
    from contacts
    where month in {{months}} and queued_at < {{period_end}}
),

placed_orders as (
    select
        month,
        case when items_shipped_first >= items_requested then 1 else 0 end as in_full,
        case
            when delivered_at is not null
                and to_unixtime(delivered_at) - to_unixtime(ordered_at) <= {{promised_delivery_days}} * 86400
                then 1 else 0
        end as on_time,
        case when delivered_at is not null then 1 else 0 end as delivered,
        case when entered_at is not null then 1 else 0 end as entered,
        case when entered_at is not null and entry_errors = 0 then 1 else 0 end as entered_clean,
        case when invoice_accurate then 1 else 0 end as invoice_ok,
        case when status_updates_accurate then 1 else 0 end as status_ok,
        entry_errors,
        items_requested,
        items_shipped_first,
        -- Later timestamps before earlier ones (the orders' `keep` rules, functions/model/rowRules.ts):
        -- the order counts everywhere but in the time metrics (docs/rules.md, "Records").
        case
            when notified_at < ordered_at then 'notified_before_ordered'
            when entered_at < notified_at then 'entered_before_notified'
            when delivered_at < ordered_at then 'delivered_before_ordered'
            when delivered_at < entered_at then 'delivered_before_entered'
        end as invalid_time_reason
    from orders
    where month in {{months}} and ordered_at < {{period_end}}
),

sessions as (
    select
        month,
        case when completed then 1 else 0 end as completed_num,
        case when completed then clicks else 0 end as completed_clicks,
        case when completed then screens else 0 end as completed_screens
    from self_service
    where month in {{months}} and started_at < {{period_end}}
),

solved_by_agent as (
    select assignee_id as agent_id, count(*) as solved
    from tickets_solved
    where month in {{months}} and solved_at < {{period_end}}
        and assignee_id is not null
    group by assignee_id
),

worked_by_agent as (
    select agent_id, sum(hours_worked) as hours
    from agent_time
    where month in {{months}} and "date" <= {{period_last_day}}
    group by agent_id
),

-- Per agent: everyone with agent time in the period, 0 when they solved nothing (the agent a
-- manager must see), and every assignee who solved tickets with no agent time recorded, so no
-- output is hidden.
agent_output as (
    select
        coalesce(w.agent_id, s.agent_id) as agent_id,
        coalesce(s.solved, 0) as solved
    from worked_by_agent as w
    full outer join solved_by_agent as s
        on w.agent_id = s.agent_id
),

agent_totals as (
    select
        (select sum(solved) from solved_by_agent) as solved,
        (select count(*) from worked_by_agent) as agents,
        (select sum(hours) from worked_by_agent) as hours
),

-- A survey answer finds its agent through its ticket, solved in any month; a ticket rating
-- sits on the solved ticket itself, so without surveys no other month is read.
agent_csat_answers as (
    select t.assignee_id as agent_id, s.score
    from surveys as s
    inner join int_tickets as t
        on s.ticket_id = t.ticket_id
    where s.month in {{months}} and s.answered_at < {{period_end}} and s.kind = 'csat' and {{csat_from_surveys}}
    union all
    select assignee_id as agent_id, satisfaction as score
    from tickets_solved
    where month in {{months}} and solved_at < {{period_end}} and satisfaction is not null and not {{csat_from_surveys}}
),

agent_csat as (
    select
        agent_id,
        count_if(score >= 4) as satisfied,
        count(*) as answers
    from agent_csat_answers
    where agent_id is not null
    group by agent_id
),

headcount as (
    select
        count_if(hired_on <= {{period_first_day}} and (left_on is null or left_on > {{period_first_day}})) as at_start,
        count_if(hired_on <= {{period_last_day}} and (left_on is null or left_on > {{period_last_day}})) as at_end,
        count_if(left_on >= {{period_first_day}} and left_on <= {{period_last_day}}) as leavers
    from agents
),

final as (
    select 'service_level' as kpi, '' as dimension, '' as member, cast(sum(in_service_level_num) as double) as numerator, cast(count(*) as double) as denominator from queued
    union all
    select 'service_level', 'channel', channel, sum(in_service_level_num), count(*) from queued group by channel
    union all
    select 'service_level', 'month', month, sum(in_service_level_num), count(*) from queued group by month
    union all
    select 'abandonment_rate', '', '', sum(abandoned_num), count(*) from queued
    union all
    select 'abandonment_rate', 'channel', channel, sum(abandoned_num), count(*) from queued group by channel
    union all
    select 'abandonment_rate', 'month', month, sum(abandoned_num), count(*) from queued group by month
    union all
    select 'perfect_order_rate', '', '', sum(case when in_full = 1 and on_time = 1 and invoice_ok = 1 and status_ok = 1 and entry_errors = 0 then 1 else 0 end), count(*) from placed_orders
    union all
    select 'perfect_order_rate', 'component', 'in_full', sum(in_full), count(*) from placed_orders
    union all
    select 'perfect_order_rate', 'component', 'on_time', sum(on_time), count(*) from placed_orders
    union all
    select 'perfect_order_rate', 'component', 'invoice_accurate', sum(invoice_ok), count(*) from placed_orders
    union all
    select 'perfect_order_rate', 'component', 'status_accurate', sum(status_ok), count(*) from placed_orders
    union all
    select 'perfect_order_rate', 'component', 'entered_without_error', sum(case when entry_errors = 0 then 1 else 0 end), count(*) from placed_orders
    union all
    select 'perfect_order_rate', 'month', month, sum(case when in_full = 1 and on_time = 1 and invoice_ok = 1 and status_ok = 1 and entry_errors = 0 then 1 else 0 end), count(*) from placed_orders group by month
    union all
    select 'order_entry_accuracy', '', '', sum(entered_clean), coalesce(sum(entered), 0) from placed_orders
    union all
    select 'first_time_fill_rate', '', '', sum(items_shipped_first), coalesce(sum(items_requested), 0) from placed_orders
    union all
    select 'invoice_accuracy', '', '', sum(invoice_ok), count(*) from placed_orders
    union all
    select 'order_status_accuracy', '', '', sum(status_ok), count(*) from placed_orders
    union all
    select 'on_time_delivery_rate', '', '', sum(on_time), coalesce(sum(delivered), 0) from placed_orders where invalid_time_reason is null
    union all
    select 'excluded_from_time_metrics', 'reason', invalid_time_reason, count(*), null from placed_orders where invalid_time_reason is not null group by invalid_time_reason
    union all
    select 'self_service_completion_rate', '', '', sum(completed_num), count(*) from sessions
    union all
    select 'self_service_completion_rate', 'month', month, sum(completed_num), count(*) from sessions group by month
    union all
    select 'self_service_clicks', '', '', sum(completed_clicks), coalesce(sum(completed_num), 0) from sessions
    union all
    select 'self_service_screens', '', '', sum(completed_screens), coalesce(sum(completed_num), 0) from sessions
    union all
    select 'solved_per_agent', '', '', coalesce(solved, 0), agents from agent_totals
    union all
    select 'solved_per_agent', 'agent', agent_id, solved, null from agent_output
    union all
    select 'solved_per_agent_csat', 'agent', agent_id, satisfied, answers from agent_csat
    union all
    select 'solved_per_worked_hour', '', '', coalesce(solved, 0), coalesce(hours, 0) from agent_totals
    union all
    select 'solved_per_worked_hour', 'agent', w.agent_id, coalesce(s.solved, 0), w.hours
    from worked_by_agent as w
    left join solved_by_agent as s
        on w.agent_id = s.agent_id
    union all
    select 'agent_turnover_rate', '', '', leavers, (at_start + at_end) / 2.0 from headcount
    union all
    select 'agent_headcount', 'day', 'first', at_start, null from headcount
    union all
    select 'agent_headcount', 'day', 'last', at_end, null from headcount
)

select * from final
