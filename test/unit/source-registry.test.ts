import { describe, expect, it } from 'vitest';
import { configSchema } from '../../functions/config/schema.ts';
import type { SecretResolver } from '../../functions/ports/secrets.ts';
import { sourcesFor } from '../../functions/sources/registry.ts';

/**
 * The Lambdas' sources: CSV exports are landed with the CLI, so in AWS a CSV source pulls
 * nothing, yet curate must still find it, with its reading rules, to curate what it landed.
 */
const config = configSchema.parse({
  lake: 's3://pulse-lake/',
  timezone: 'Europe/Berlin',
  sources: [
    { name: 'desk', type: 'csv', entity: 'tickets', path: 'tickets.csv', values: { status: { Erledigt: 'solved' } } },
  ],
});
const secrets: SecretResolver = { resolve: async () => '' } as unknown as SecretResolver;

describe('sourcesFor', () => {
  it('gives the Lambdas each CSV source with its reading rules, pulling nothing', async () => {
    // act
    const [landed] = sourcesFor(config, { baseDir: '/tmp', secrets, csv: 'landed' });
    const [read] = sourcesFor(config, { baseDir: '/tmp', secrets });
    // assess
    expect(landed).toMatchObject({ name: 'desk', entity: 'tickets' });
    expect(landed!.reading).toEqual(read!.reading);
    const chunks = [];
    for await (const chunk of landed!.pull(undefined)) chunks.push(chunk);
    expect(chunks).toEqual([]);
  });
});
