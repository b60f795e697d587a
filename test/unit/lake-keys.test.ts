import { describe, expect, it } from 'vitest';
import { lakeKeys } from '../../functions/model/lakeKeys.ts';

/** The storage layout of docs/design.md, key by key: the same in S3 and in a local folder. */
describe('lake keys', () => {
  it('lays raw parts and rejects out per entity, then source and ingest date', () => {
    expect(lakeKeys.rawPart('tickets', 'helpdesk', '2026-11-01', '20261101T060000Z-ab12cd-000', 3)).toBe(
      'raw/tickets/source=helpdesk/ingest_date=2026-11-01/20261101T060000Z-ab12cd-000-0003.ndjson.gz',
    );
    expect(lakeKeys.rawPart('tickets', 'helpdesk', '2026-11-01', 'run', 0, 'csv.gz')).toBe(
      'raw/tickets/source=helpdesk/ingest_date=2026-11-01/run-0000.csv.gz',
    );
    expect(lakeKeys.rejects('surveys', 'csat', '2026-11-01', 'run', 0)).toBe(
      'rejects/surveys/source=csat/ingest_date=2026-11-01/run.ndjson.gz',
    );
    expect(lakeKeys.rejects('surveys', 'csat', '2026-11-01', 'run', 2)).toBe(
      'rejects/surveys/source=csat/ingest_date=2026-11-01/run-2.ndjson.gz',
    );
    expect(lakeKeys.sourceOf('raw/tickets/source=helpdesk/ingest_date=2026-11-01/run-0000.ndjson.gz')).toBe('helpdesk');
  });

  it('keeps state, curated, marts, reports, ledger and outbox where the README says', () => {
    expect(lakeKeys.sourceState('helpdesk', 'tickets')).toBe('state/helpdesk/tickets.json');
    expect(lakeKeys.curateState('tickets')).toBe('state/_curate/tickets.json');
    expect(lakeKeys.curated('tickets')).toBe('curated/tickets/');
    expect(lakeKeys.mart('trc')).toBe('marts/trc/');
    expect(lakeKeys.report('2026-Q3')).toBe('reports/2026-Q3/kpis.json');
    expect(lakeKeys.audienceReport('2026-10', 'frontline')).toBe('reports/2026-10/frontline/kpis.json');
    expect(lakeKeys.withheld('2026-10', 'finance')).toBe('reports/2026-10/finance/withheld.json');
    // The ledger names a recipient by a hash of the address, case-insensitive.
    expect(lakeKeys.ledger('2026-10', 'executive', 'CEO@Example.com')).toBe(
      lakeKeys.ledger('2026-10', 'executive', 'ceo@example.com'),
    );
    expect(lakeKeys.ledger('2026-10', 'executive', 'ceo@example.com')).toMatch(
      /^ledger\/2026-10\/executive\/[0-9a-f]{32}\.json$/,
    );
    expect(lakeKeys.outbox('2026-10', 'executive', 'a b/c@example.com')).toBe(
      'outbox/2026-10/executive/a_b_c@example.com.eml',
    );
  });
});
