import { isoOrNull, text } from '../api/apiSource.ts';

/**
 * Freshdesk satisfaction rating → canonical surveys: kind csat, the default question's answer on
 * Freshdesk's scale (103 … −103) mapped to 1–5 (CONNECTORS.md); a rating without an answer to
 * the default question is dropped.
 */
export interface FreshdeskRating {
  id: number;
  ticket_id?: number | null;
  user_id?: number | null;
  feedback?: string | null;
  created_at: string;
  ratings?: Record<string, number> | null;
}

const scores: Record<number, string> = {
  103: '5',
  102: '4',
  101: '4',
  100: '3',
  [-101]: '2',
  [-102]: '2',
  [-103]: '1',
};

export function stgFreshdeskSurvey(rating: FreshdeskRating): Record<string, string | null> | undefined {
  const answer = rating.ratings?.default_question;
  const score = answer === undefined ? undefined : scores[answer];
  if (!score) return undefined;
  return {
    id: String(rating.id),
    ticket_id: text(rating.ticket_id),
    customer_id: text(rating.user_id),
    kind: 'csat',
    score,
    comment: text(rating.feedback),
    answered_at: isoOrNull(rating.created_at),
  };
}
