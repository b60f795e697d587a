import { isoOrNull, text } from '../api/apiSource.ts';

/**
 * HubSpot feedback submission → canonical surveys: hs_survey_type CSAT, NPS or CES; NPS and CES
 * scores as given, CSAT on HubSpot's three points (0 negative, 1 neutral, 2 positive) as 1, 3, 5
 * (CONNECTORS.md: unverified against an account). Other survey types are dropped.
 */
export const hubspotFeedbackProperties = [
  'hs_survey_type',
  'hs_value',
  'hs_submission_timestamp',
  'hs_contact_id',
  'hs_ticket_id',
  'hs_content',
  'hs_lastmodifieddate',
] as const;

const csat: Record<string, string> = { '0': '1', '1': '3', '2': '5' };
const kinds: Record<string, string> = { CSAT: 'csat', NPS: 'nps', CES: 'ces' };

export function stgHubspotSurvey(submission: {
  id: string;
  properties: Record<string, string | null | undefined>;
}): Record<string, string | null> | undefined {
  const p = submission.properties;
  const kind = kinds[p.hs_survey_type ?? ''];
  if (!kind || p.hs_value === null || p.hs_value === undefined || p.hs_value === '') return undefined;
  return {
    id: submission.id,
    ticket_id: text(p.hs_ticket_id),
    customer_id: text(p.hs_contact_id),
    kind,
    score: kind === 'csat' ? (csat[p.hs_value] ?? p.hs_value) : p.hs_value,
    comment: text(p.hs_content),
    answered_at: isoOrNull(p.hs_submission_timestamp),
  };
}
