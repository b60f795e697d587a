-- agent_month: each agent's month: tickets solved (by the last solve), the agent replies and
-- handle time on them, their ratings, and the hours worked. An agent with hours and nothing
-- solved has a row (0 solved), as does an assignee who solved tickets with no hours recorded.
-- Additive, so teams and quarters roll up exactly. Seconds and hours are summed as decimals and
-- cast to double once summed, so any order gives the same sum (docs/design.md, "Exact sums").

with solved as (
    select
        assignee_id as agent_id,
        solved_month as month,
        count(*) as solved,
        cast(sum(agent_replies) as bigint) as agent_replies,
        cast(sum(cast(handle_seconds as decimal(38, 6))) as double) as handle_seconds,
        count(satisfaction) as rated,
        cast(count_if(satisfaction >= 4) as bigint) as satisfied
    from int_tickets
    where solved_month is not null
        and assignee_id is not null
    group by assignee_id, solved_month
),

worked as (
    select
        agent_id,
        month,
        cast(sum(cast(hours_worked as decimal(38, 9))) as double) as hours_worked,
        cast(sum(cast(hours_on_tickets as decimal(38, 9))) as double) as hours_on_tickets
    from agent_time
    group by agent_id, month
),

final as (
    select
        coalesce(w.agent_id, s.agent_id) as agent_id,
        coalesce(a.team, 'unassigned') as team,
        coalesce(s.solved, 0) as solved,
        coalesce(s.agent_replies, 0) as agent_replies,
        coalesce(s.handle_seconds, 0) as handle_seconds,
        coalesce(s.rated, 0) as rated,
        coalesce(s.satisfied, 0) as satisfied,
        w.hours_worked,
        w.hours_on_tickets,
        coalesce(w.month, s.month) as month
    from worked as w
    full outer join solved as s
        on w.agent_id = s.agent_id
        and w.month = s.month
    left join agents as a
        on a.id = coalesce(w.agent_id, s.agent_id)
)

select * from final
