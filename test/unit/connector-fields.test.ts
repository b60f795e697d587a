import { describe, expect, it } from 'vitest';
import { configSchema, unfilledFields } from '../../functions/config/schema.ts';
import { kpiCatalog } from '../../functions/kpis/catalog.ts';
import { presentEntities } from '../../functions/stages/lake.ts';
import { notMeasuredReason } from '../../functions/stages/evaluate.ts';

/**
 * A KPI a connector cannot feed is notMeasured with the reason, never zero (CONNECTORS.md, "—"
 * in the canonical mapping): Salesforce has no reopens, replies or ratings; Zendesk no
 * escalation; a CSV export beside them fills what they cannot.
 */
const api = {
  zendesk: {
    name: 'zd',
    type: 'zendesk',
    baseUrl: 'https://acme.zendesk.com',
    credentials: { email: 'env:E', token: 'env:T' },
  },
  salesforce: {
    name: 'sf',
    type: 'salesforce',
    baseUrl: 'https://acme.my.salesforce.com',
    credentials: { clientId: 'env:I', clientSecret: 'env:S' },
  },
  hubspot: { name: 'hs', type: 'hubspot', credentials: { token: 'env:H' } },
  freshdesk: { name: 'fd', type: 'freshdesk', baseUrl: 'https://acme.freshdesk.com', credentials: { apiKey: 'env:K' } },
};
const csv = { name: 'export', type: 'csv', entity: 'tickets', path: 'tickets.csv' };

function reasons(sources: unknown[]): Record<string, string | null> {
  const config = configSchema.parse({ lake: './lake', sources });
  const present = presentEntities(config);
  return Object.fromEntries(kpiCatalog.map((k) => [k.id, notMeasuredReason(k, present, config)]));
}

describe('KPIs a connector cannot feed', () => {
  it('are notMeasured, with the field and the connector that lacks it', () => {
    const sf = reasons([api.salesforce]);
    expect(sf.reopen_rate).toBe(
      'needs tickets.reopens: no source fills it (salesforce "sf" cannot: its API has no such field)',
    );
    expect(sf.replies_per_solved_ticket).toMatch(/^needs tickets\.agent_replies/);
    expect(sf.one_touch_rate).toMatch(/^needs tickets\.agent_replies/);
    // No surveys from Salesforce, and no rating on a Case: no CSAT.
    expect(sf.csat).toBe(
      'needs tickets.satisfaction: no source fills it (salesforce "sf" cannot: its API has no such field)',
    );
    expect(sf.escalation_rate).toBeNull();
    expect(sf.tickets_created).toBeNull();
    const zd = reasons([api.zendesk]);
    expect(zd.escalation_rate).toMatch(/^needs tickets\.is_escalated: no source fills it \(zendesk "zd" cannot/);
    expect(zd.complaint_escalation_trend).toMatch(/^needs tickets\.is_escalated/);
    expect(zd.reopen_rate).toBeNull();
    expect(zd.csat).toBeNull();
    const hs = reasons([api.hubspot]);
    expect(hs.reopen_rate).toMatch(/hubspot "hs" cannot/);
    // HubSpot's surveys feed CSAT even though its tickets carry no rating.
    expect(hs.csat).toBeNull();
    expect(reasons([api.freshdesk]).escalation_rate).toBeNull();
  });

  it('are measured when another source of the entity fills the field', () => {
    const both = reasons([api.salesforce, csv]);
    expect(both.reopen_rate).toBeNull();
    expect(both.csat).toBeNull();
    expect(reasons([api.zendesk, api.freshdesk]).escalation_rate).toBeNull();
    expect(
      unfilledFields(configSchema.parse({ lake: './lake', sources: [api.zendesk, api.hubspot] })).get(
        'tickets.is_escalated',
      ),
    ).toEqual(['zendesk "zd"', 'hubspot "hs"']);
  });

  it('refuses an API source without the credentials or address its connector needs, or an entity it cannot pull', () => {
    const bad = configSchema.safeParse({
      lake: './lake',
      sources: [{ name: 'sf', type: 'salesforce', credentials: { clientId: 'env:I' }, entities: ['orders'] }],
    });
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        'sources.0.entities.0: the salesforce connector does not pull orders (it pulls tickets)',
        'sources.0.credentials: the salesforce connector needs clientId + clientSecret (references: env:NAME or a Secrets Manager ARN)',
        'sources.0.baseUrl: the salesforce connector needs the account\'s own address (docs/design.md, "API sources")',
      ]),
    );
    expect(
      configSchema.safeParse({
        lake: './lake',
        sources: [{ ...api.hubspot, credentials: { token: 'pat-na1-literal' } }],
      }).success,
    ).toBe(false);
  });
});
