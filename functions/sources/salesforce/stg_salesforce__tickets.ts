import { isoOrNull, text } from '../api/apiSource.ts';

/**
 * Salesforce Case (Bulk API 2.0 CSV: every value a string, '' for null) → canonical tickets
 * (CONNECTORS.md). Open or closed from IsClosed, not from the org's customised Status picklist;
 * first response from the completed First Response CaseMilestone. Fills: id, created_at,
 * updated_at (SystemModstamp, the watermark), first_response_at, solved_at and closed_at
 * (ClosedDate when closed), status, is_deleted, priority, channel, category, assignee_id (a user
 * owner), group_id (a queue owner), customer_id (the contact, else the account), is_escalated.
 * Cannot fill: reopens, agent_replies, satisfaction (no survey object by default), team,
 * customer_replies, handle_seconds.
 */
export const caseFields = [
  'Id',
  'Status',
  'Priority',
  'Origin',
  'Type',
  'IsClosed',
  'ClosedDate',
  'IsEscalated',
  'IsDeleted',
  'OwnerId',
  'ContactId',
  'AccountId',
  'CreatedDate',
  'SystemModstamp',
] as const;

const priorities: Record<string, string> = {
  low: 'low',
  medium: 'normal',
  high: 'high',
  critical: 'urgent',
  urgent: 'urgent',
};
const channels: Record<string, string> = { email: 'email', web: 'web', phone: 'phone', chat: 'chat' };

export function stgSalesforceCase(
  row: Record<string, string>,
  firstResponse: ReadonlyMap<string, string>,
): Record<string, string | null> {
  const closed = row.IsClosed === 'true';
  const owner = row.OwnerId ?? '';
  const closedAt = closed ? isoOrNull(row.ClosedDate) : null;
  return {
    id: row.Id ?? null,
    created_at: isoOrNull(row.CreatedDate),
    updated_at: isoOrNull(row.SystemModstamp),
    first_response_at: isoOrNull(firstResponse.get(row.Id ?? '')),
    solved_at: closedAt,
    closed_at: closedAt,
    status: closed ? 'closed' : row.Status === 'New' ? 'new' : 'open',
    is_deleted: row.IsDeleted === 'true' ? 'true' : 'false',
    priority: row.Priority ? (priorities[row.Priority.toLowerCase()] ?? row.Priority) : null,
    channel: row.Origin ? (channels[row.Origin.toLowerCase()] ?? 'other') : null,
    category: row.Type ? row.Type.toLowerCase() : null,
    assignee_id: owner.startsWith('005') ? owner : null,
    group_id: owner.startsWith('00G') ? owner : null,
    customer_id: text(row.ContactId) ?? text(row.AccountId),
    is_escalated: row.IsEscalated === 'true' ? 'true' : row.IsEscalated === 'false' ? 'false' : null,
  };
}
