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

describe('an SMTP relay', () => {
  const smtp = (host: string) => ({
    transport: 'smtp',
    from: 'pulse@acme.example',
    host,
    user: 'pulse',
    password: 'env:SMTP_PASSWORD',
    insecure: true,
  });

  it('may take the login without TLS (insecure) on loopback only', () => {
    for (const host of ['127.0.0.1', '::1', 'localhost']) expect(problems({ mail: smtp(host) }), host).toEqual([]);
    expect(problems({ mail: smtp('smtp.acme.example') })).toEqual([
      'pulse.config.json: mail.insecure: true is for a relay on loopback (127.0.0.1, ::1, localhost) only, and ' +
        'mail.host is "smtp.acme.example": the password would cross the network in clear',
    ]);
  });
});

describe('mail addresses', () => {
  const injected = 'pulse@acme.example\r\nBcc: everyone@rival.example';

  it('refuse a sender with a line break (header injection) or that is no address, naming mail.from', () => {
    for (const transport of ['outbox', 'ses'])
      expect(problems({ mail: { transport, from: injected } })).toEqual([
        'pulse.config.json: mail.from: holds a line break or a control character, which would write mail headers ' +
          'of its own: one address',
      ]);
    const smtp = { transport: 'smtp', host: 'smtp.acme.example' };
    expect(problems({ mail: { ...smtp, from: 'pulse@acme.example>\nRCPT TO:<x@y.z' } })).toHaveLength(1);
    for (const from of ['pulse', 'pulse@acme.example, ceo@acme.example', 'Pulse <a@b.c>, <d@e.f>', '@acme', 'a@b@c'])
      expect(problems({ mail: { ...smtp, from } }), from).toEqual([
        'pulse.config.json: mail.from: not an e-mail address: one address such as pulse@acme.example or ' +
          'Pulse <pulse@acme.example>',
      ]);
    for (const from of [
      'pulse@localhost',
      'pulse+kpi@mail.acme.example',
      "o'brien@acme.example",
      'Pulse <pulse@acme.example>',
      '"Pulse, KPIs" <pulse@acme.example>',
    ])
      expect(problems({ mail: { ...smtp, from } }), from).toEqual([]);
  });

  it('refuse a recipient or an owner with a line break, naming the field', () => {
    expect(
      problems({ audiences: [{ name: 'executive', recipients: ['ceo@acme.example', injected] }], owners: [injected] }),
    ).toEqual([
      expect.stringMatching(/^pulse\.config\.json: audiences\[0\]\.recipients\[1\]: /),
      expect.stringMatching(/^pulse\.config\.json: owners\[0\]: /),
    ]);
  });
});
