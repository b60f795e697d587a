-- operations: queued contacts (service level, abandonment), orders (SCOR perfect order and its
-- parts), self-service ease and agent output, as numerator ÷ denominator per member.
-- A ratio's denominator is never null (coalesce to 0): null marks a count, and 0 gives no value.
-- Measured for each period of report_periods at once (functions/stages/periodsSql.ts): a record
-- counts in the period whose months hold its month, if it came before the period's end (a month
-- to date ends early); a headline is one row per period, even a period with nothing to count.

with periods as (
    select * from {{report_periods}} as p
),

-- Each period's months, with the period's end: a month to date ends before its month does.
period_months as (
    select pm.period, pm.month, p.period_end, p.period_last_day
    from {{report_period_months}} as pm
    inner join periods as p
        on pm.period = p.period
),

queued as (
    select
        pm.period,
        c.channel,
        c.month,
        case when c.abandoned then 1 else 0 end as abandoned_num,
        case
            when not c.abandoned and c.answered_at is not null
                and to_unixtime(c.answered_at) - to_unixtime(c.queued_at) <= {{service_level_seconds}}
                then 1 else 0
        end as in_service_level_num
    from contacts as c
    inner join period_months as pm
        on c.month = pm.month
    where c.month in {{months}} and c.queued_at < pm.period_end
),

placed_orders as (
    select
        pm.period,
        o.month,
        case when o.items_shipped_first >= o.items_requested then 1 else 0 end as in_full,
        case
            when o.delivered_at is not null
                and to_unixtime(o.delivered_at) - to_unixtime(o.ordered_at) <= {{promised_delivery_days}} * 86400
                then 1 else 0
        end as on_time,
        case when o.delivered_at is not null then 1 else 0 end as delivered,
        case when o.entered_at is not null then 1 else 0 end as entered,
        case when o.entered_at is not null and o.entry_errors = 0 then 1 else 0 end as entered_clean,
        case when o.invoice_accurate then 1 else 0 end as invoice_ok,
        case when o.status_updates_accurate then 1 else 0 end as status_ok,
        o.entry_errors,
        o.items_requested,
        o.items_shipped_first,
        -- Later timestamps before earlier ones (the orders' `keep` rules, functions/model/rowRules.ts):
        -- the order counts everywhere but in the time metrics (docs/rules.md, "Records").
        case
            when o.notified_at < o.ordered_at then 'notified_before_ordered'
            when o.entered_at < o.notified_at then 'entered_before_notified'
            when o.delivered_at < o.ordered_at then 'delivered_before_ordered'
            when o.delivered_at < o.entered_at then 'delivered_before_entered'
        end as invalid_time_reason
    from orders as o
    inner join period_months as pm
        on o.month = pm.month
    where o.month in {{months}} and o.ordered_at < pm.period_end
),

sessions as (
    select
        pm.period,
        s.month,
        case when s.completed then 1 else 0 end as completed_num,
        case when s.completed then s.clicks else 0 end as completed_clicks,
        case when s.completed then s.screens else 0 end as completed_screens
    from self_service as s
    inner join period_months as pm
        on s.month = pm.month
    where s.month in {{months}} and s.started_at < pm.period_end
),

solved_by_agent as (
    select pm.period, t.assignee_id as agent_id, count(*) as solved
    from tickets_solved as t
    inner join period_months as pm
        on t.month = pm.month
    where t.month in {{months}} and t.solved_at < pm.period_end
        and t.assignee_id is not null
    group by pm.period, t.assignee_id
),

-- Hours summed as decimals, cast to double once summed: the same in any order (docs/design.md, "Exact sums").
worked_by_agent as (
    select pm.period, t.agent_id, sum(cast(t.hours_worked as decimal(38, 9))) as hours
    from agent_time as t
    inner join period_months as pm
        on t.month = pm.month
    where t.month in {{months}} and t."date" <= pm.period_last_day
    group by pm.period, t.agent_id
),

-- Per agent: everyone with agent time in the period, 0 when they solved nothing (the agent a
-- manager must see), and every assignee who solved tickets with no agent time recorded, so no
-- output is hidden.
agent_output as (
    select
        coalesce(w.period, s.period) as period,
        coalesce(w.agent_id, s.agent_id) as agent_id,
        coalesce(s.solved, 0) as solved
    from worked_by_agent as w
    full outer join solved_by_agent as s
        on w.period = s.period
        and w.agent_id = s.agent_id
),

-- A headline is one row per period, as one query per period gave on no rows: counts 0, sums null.
queued_totals as (
    select
        period,
        sum(in_service_level_num) as in_service_level,
        sum(abandoned_num) as abandoned,
        count(*) as queued
    from queued
    group by period
),

order_totals as (
    select
        period,
        sum(case when in_full = 1 and on_time = 1 and invoice_ok = 1 and status_ok = 1 and entry_errors = 0 then 1 else 0 end) as perfect,
        sum(in_full) as in_full,
        sum(on_time) as on_time,
        sum(invoice_ok) as invoice_ok,
        sum(status_ok) as status_ok,
        sum(case when entry_errors = 0 then 1 else 0 end) as entered_without_error,
        sum(entered_clean) as entered_clean,
        sum(entered) as entered,
        sum(items_shipped_first) as items_shipped_first,
        sum(items_requested) as items_requested,
        -- on_time_delivery_rate leaves out the orders excluded from time metrics.
        sum(case when invalid_time_reason is null then on_time end) as on_time_valid,
        sum(case when invalid_time_reason is null then delivered end) as delivered_valid,
        count(*) as orders
    from placed_orders
    group by period
),

session_totals as (
    select
        period,
        sum(completed_num) as completed,
        sum(completed_clicks) as completed_clicks,
        sum(completed_screens) as completed_screens,
        count(*) as started
    from sessions
    group by period
),

solved_totals as (
    select period, sum(solved) as solved
    from solved_by_agent
    group by period
),

worked_totals as (
    select period, count(*) as agents, sum(hours) as hours
    from worked_by_agent
    group by period
),

agent_totals as (
    select
        p.period,
        s.solved,
        coalesce(w.agents, 0) as agents,
        w.hours
    from periods as p
    left join solved_totals as s
        on p.period = s.period
    left join worked_totals as w
        on p.period = w.period
),

-- A survey answer finds its agent through its ticket, solved in any month; a ticket rating
-- sits on the solved ticket itself, so without surveys no other month is read.
agent_csat_answers as (
    select pm.period, t.assignee_id as agent_id, s.score
    from surveys as s
    inner join period_months as pm
        on s.month = pm.month
    inner join int_tickets as t
        on s.ticket_id = t.ticket_id
    where s.month in {{months}} and s.answered_at < pm.period_end and s.kind = 'csat' and {{csat_from_surveys}}
    union all
    select pm.period, r.assignee_id as agent_id, r.satisfaction as score
    from tickets_solved as r
    inner join period_months as pm
        on r.month = pm.month
    where r.month in {{months}} and r.solved_at < pm.period_end and r.satisfaction is not null and not {{csat_from_surveys}}
),

agent_csat as (
    select
        period,
        agent_id,
        count_if(score >= 4) as satisfied,
        count(*) as answers
    from agent_csat_answers
    where agent_id is not null
    group by period, agent_id
),

-- The headcount on each period's first and last day: every agent row against every period (a
-- short list), and no agents at all still a row of zeros.
headcount as (
    select
        p.period,
        count_if(a.hired_on <= p.period_first_day and (a.left_on is null or a.left_on > p.period_first_day)) as at_start,
        count_if(a.hired_on <= p.period_last_day and (a.left_on is null or a.left_on > p.period_last_day)) as at_end,
        count_if(a.left_on >= p.period_first_day and a.left_on <= p.period_last_day) as leavers
    from periods as p
    left join agents as a
        on true
    group by p.period
),

queued_headlines as (
    select p.period, q.in_service_level, q.abandoned, coalesce(q.queued, 0) as queued
    from periods as p
    left join queued_totals as q
        on p.period = q.period
),

order_headlines as (
    select
        p.period,
        o.perfect,
        o.in_full,
        o.on_time,
        o.invoice_ok,
        o.status_ok,
        o.entered_without_error,
        o.entered_clean,
        coalesce(o.entered, 0) as entered,
        o.items_shipped_first,
        coalesce(o.items_requested, 0) as items_requested,
        o.on_time_valid,
        coalesce(o.delivered_valid, 0) as delivered_valid,
        coalesce(o.orders, 0) as orders
    from periods as p
    left join order_totals as o
        on p.period = o.period
),

session_headlines as (
    select
        p.period,
        s.completed,
        s.completed_clicks,
        s.completed_screens,
        coalesce(s.completed, 0) as completed_count,
        coalesce(s.started, 0) as started
    from periods as p
    left join session_totals as s
        on p.period = s.period
),

final as (
    select period, 'service_level' as kpi, '' as dimension, '' as member, cast(in_service_level as double) as numerator, cast(queued as double) as denominator from queued_headlines
    union all
    select period, 'service_level', 'channel', channel, sum(in_service_level_num), count(*) from queued group by period, channel
    union all
    select period, 'service_level', 'month', month, sum(in_service_level_num), count(*) from queued group by period, month
    union all
    select period, 'abandonment_rate', '', '', abandoned, queued from queued_headlines
    union all
    select period, 'abandonment_rate', 'channel', channel, sum(abandoned_num), count(*) from queued group by period, channel
    union all
    select period, 'abandonment_rate', 'month', month, sum(abandoned_num), count(*) from queued group by period, month
    union all
    select period, 'perfect_order_rate', '', '', perfect, orders from order_headlines
    union all
    select period, 'perfect_order_rate', 'component', 'in_full', in_full, orders from order_headlines
    union all
    select period, 'perfect_order_rate', 'component', 'on_time', on_time, orders from order_headlines
    union all
    select period, 'perfect_order_rate', 'component', 'invoice_accurate', invoice_ok, orders from order_headlines
    union all
    select period, 'perfect_order_rate', 'component', 'status_accurate', status_ok, orders from order_headlines
    union all
    select period, 'perfect_order_rate', 'component', 'entered_without_error', entered_without_error, orders from order_headlines
    union all
    select period, 'perfect_order_rate', 'month', month, sum(case when in_full = 1 and on_time = 1 and invoice_ok = 1 and status_ok = 1 and entry_errors = 0 then 1 else 0 end), count(*) from placed_orders group by period, month
    union all
    select period, 'order_entry_accuracy', '', '', entered_clean, entered from order_headlines
    union all
    select period, 'first_time_fill_rate', '', '', items_shipped_first, items_requested from order_headlines
    union all
    select period, 'invoice_accuracy', '', '', invoice_ok, orders from order_headlines
    union all
    select period, 'order_status_accuracy', '', '', status_ok, orders from order_headlines
    union all
    select period, 'on_time_delivery_rate', '', '', on_time_valid, delivered_valid from order_headlines
    union all
    select period, 'excluded_from_time_metrics', 'reason', invalid_time_reason, count(*), null from placed_orders where invalid_time_reason is not null group by period, invalid_time_reason
    union all
    select period, 'self_service_completion_rate', '', '', completed, started from session_headlines
    union all
    select period, 'self_service_completion_rate', 'month', month, sum(completed_num), count(*) from sessions group by period, month
    union all
    select period, 'self_service_clicks', '', '', completed_clicks, completed_count from session_headlines
    union all
    select period, 'self_service_screens', '', '', completed_screens, completed_count from session_headlines
    union all
    select period, 'solved_per_agent', '', '', coalesce(solved, 0), agents from agent_totals
    union all
    select period, 'solved_per_agent', 'agent', agent_id, solved, null from agent_output
    union all
    select period, 'solved_per_agent_csat', 'agent', agent_id, satisfied, answers from agent_csat
    union all
    select period, 'solved_per_worked_hour', '', '', coalesce(solved, 0), cast(coalesce(hours, 0) as double) from agent_totals
    union all
    select w.period, 'solved_per_worked_hour', 'agent', w.agent_id, coalesce(s.solved, 0), cast(w.hours as double)
    from worked_by_agent as w
    left join solved_by_agent as s
        on w.period = s.period
        and w.agent_id = s.agent_id
    union all
    select period, 'agent_turnover_rate', '', '', leavers, (at_start + at_end) / 2.0 from headcount
    union all
    select period, 'agent_headcount', 'day', 'first', at_start, null from headcount
    union all
    select period, 'agent_headcount', 'day', 'last', at_end, null from headcount
)

select * from final
