import { isoOrNull, text } from '../api/apiSource.ts';

/**
 * Zendesk satisfaction rating → canonical surveys: kind csat, good → 5 and bad → 1, answered at
 * its updated_at. Ratings offered but not answered (offered, unoffered) have no score: dropped.
 */
export interface ZendeskRating {
  id: number;
  ticket_id?: number | null;
  requester_id?: number | null;
  score: string;
  comment?: string | null;
  created_at?: string;
  updated_at: string;
}

const scores: Record<string, string> = { good: '5', bad: '1' };

export function stgZendeskSurvey(rating: ZendeskRating): Record<string, string | null> | undefined {
  const score = scores[rating.score];
  if (!score) return undefined;
  return {
    id: String(rating.id),
    ticket_id: text(rating.ticket_id),
    customer_id: text(rating.requester_id),
    kind: 'csat',
    score,
    comment: text(rating.comment),
    answered_at: isoOrNull(rating.updated_at),
  };
}
