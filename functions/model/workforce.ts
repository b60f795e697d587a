import { z } from 'zod';
import { col } from './columns.ts';
import { defineEntity } from './entity.ts';

export const agents = defineEntity({
  name: 'agents',
  description: 'Support agents: one row per agent.',
  key: ['id'],
  schema: z.object({
    id: col.id('Agent id (tickets.assignee_id).'),
    name: col.text('Display name.'),
    team: col.text('Team.'),
    hired_on: col.date('First day employed.'),
    left_on: col.date('First day no longer employed.').optional(),
    loaded_hourly_cost: col.money('Fully loaded cost of one hour worked.', { min: 0 }).optional(),
  }),
});

export const agentTime = defineEntity({
  name: 'agent_time',
  description: 'Hours each agent worked per day.',
  key: ['agent_id', 'date'],
  monthOf: 'date',
  schema: z.object({
    agent_id: col.id('Agent (agents.id).'),
    date: col.date('Day worked.'),
    hours_worked: col.hours('Hours worked that day.'),
    hours_on_tickets: col.hours('Hours spent on tickets that day.').optional(),
  }),
});
