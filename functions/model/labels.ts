import type { contactChannels } from './contacts.ts';
import type { costCategories } from './costs.ts';
import type { surveyKinds } from './customers.ts';
import type { ticketChannels, ticketEventKinds, ticketPriorities, ticketStatuses } from './tickets.ts';

type Code<T extends readonly string[]> = T[number];

/** Every value of the model's enums: the compiler refuses a new enum value that has no words. */
type CanonicalCode =
  | Code<typeof ticketChannels>
  | Code<typeof contactChannels>
  | Code<typeof ticketPriorities>
  | Code<typeof ticketStatuses>
  | Code<typeof ticketEventKinds>
  | Code<typeof costCategories>
  | Code<typeof surveyKinds>;

/**
 * The words a report prints for a canonical code (docs/design.md, "What users touch": `labels`).
 * The codes stay in the lake, kpis.json and the CSVs, where tools match on them; people read these.
 * Besides the enums: the segments the sample data and most CRMs use, the placeholders the KPI
 * queries and marts write for a missing member, the cost components, and the breakdown
 * dimensions. Any other value from the data (a team, a ticket category) is printed as it is.
 */
export const canonicalLabels: Readonly<Record<string, string>> = {
  ...({
    email: 'Email',
    web: 'Web',
    phone: 'Phone',
    chat: 'Chat',
    social: 'Social',
    messaging: 'Messaging',
    api: 'API',
    other: 'Other',
    voice: 'Voice',
    low: 'Low',
    normal: 'Normal',
    high: 'High',
    urgent: 'Urgent',
    new: 'New',
    open: 'Open',
    pending: 'Pending',
    on_hold: 'On hold',
    solved: 'Solved',
    closed: 'Closed',
    reply: 'Reply',
    status_change: 'Status change',
    assignment: 'Assignment',
    escalation: 'Escalation',
    labor: 'Labour',
    telephony: 'Telephony',
    network: 'Network',
    infrastructure: 'Infrastructure',
    tooling: 'Tooling',
    facilities: 'Facilities',
    overhead: 'Overhead',
    csat: 'CSAT',
    nps: 'NPS',
    ces: 'CES',
  } satisfies Record<CanonicalCode, string>),
  // Customer segments (customers.segment is free text; these are its usual codes).
  smb: 'SMB',
  mid_market: 'Mid-market',
  enterprise: 'Enterprise',
  // Placeholders written by sql/kpis and sql/marts for a member the record does not name.
  unknown: 'Unknown',
  unallocated: 'Unallocated',
  shared: 'Shared',
  unassigned: 'Unassigned',
  all: 'All',
  // Cost components (sql/marts/trc.sql).
  direct_labour: 'Direct labour',
  ledger: 'Cost ledger',
  // Breakdown dimensions.
  channel: 'Channel',
  category: 'Category',
  team: 'Team',
  priority: 'Priority',
  segment: 'Segment',
  component: 'Component',
  agent: 'Agent',
  kind: 'Kind',
};
