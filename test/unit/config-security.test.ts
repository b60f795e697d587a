import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config/load.ts';
import { ConfigError } from '../../functions/errors.ts';

/** What the config refuses so that no credential travels in clear (docs/design.md, "Security"). */
const csv = { name: 'helpdesk', type: 'csv', entity: 'tickets', path: 'exports/*.csv' };

function problems(raw: Record<string, unknown>): string[] {
  try {
    parseConfig({ lake: './lake', sources: [csv], ...raw }, '/x/pulse.config.json');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

const zendesk = (baseUrl: string) => ({
  sources: [{ name: 'zd', type: 'zendesk', baseUrl, credentials: { oauthToken: 'env:ZD' } }],
});

describe('an API source baseUrl', () => {
  it('must be https, naming the source and the field', () => {
    for (const baseUrl of ['http://acme.zendesk.com', 'http://10.0.0.7:8080', 'ftp://acme.zendesk.com'])
      expect(problems(zendesk(baseUrl))).toEqual([
        'pulse.config.json: sources[0].baseUrl: source "zd": baseUrl must be https:// (http:// only on loopback: ' +
          '127.0.0.1, ::1, localhost), or the credentials cross the network in clear',
      ]);
  });

  it('may be http on loopback only', () => {
    for (const baseUrl of [
      'https://acme.zendesk.com',
      'http://127.0.0.1:8080',
      'http://[::1]:8080',
      'http://localhost:3000/api',
    ])
      expect(problems(zendesk(baseUrl)), baseUrl).toEqual([]);
    // A name that merely starts like one is not loopback.
    expect(problems(zendesk('http://localhost.attacker.example'))).toHaveLength(1);
    expect(problems(zendesk('http://127.0.0.1.nip.io'))).toHaveLength(1);
  });

  it('holds no user or password, and the problem does not repeat them', () => {
    const found = problems(zendesk('https://ops:hunter2@acme.zendesk.com'));
    expect(found).toEqual([
      'pulse.config.json: sources[0].baseUrl: source "zd": baseUrl holds a user or password (user:password@): ' +
        'put them in credentials, as references',
    ]);
  });
});
