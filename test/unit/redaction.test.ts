import { describe, expect, it } from 'vitest';
import { Redactor, secretForms } from '../../functions/redaction.ts';

/** The redactor takes a secret out in every form it takes on the wire, and credential shapes whoever's they are. */
describe('the redactor', () => {
  const token = 'zd/tok:en+5f1e2d3c';
  const basic = Buffer.from(`ops@acme.example/token:${token}`).toString('base64');

  it('takes out a known value raw, url-encoded, form-encoded, base64 and JSON-escaped', () => {
    const redactor = new Redactor();
    redactor.add(token);
    for (const form of secretForms(token)) expect(redactor.redact(`said: ${form}!`)).toBe('said: […]!');
    expect(secretForms(token)).toContain('zd%2Ftok%3Aen%2B5f1e2d3c');
    expect(secretForms(token)).toContain(Buffer.from(token).toString('base64'));
    expect(secretForms(token)).toContain('zd\\/tok:en+5f1e2d3c');
  });

  it('takes out a header value whole, before a secret inside it could leave a fragment', () => {
    const redactor = new Redactor();
    redactor.add(token, `Basic ${basic}`);
    expect(redactor.redact(`echo: Basic ${basic}`)).toBe('echo: […]');
    expect(redactor.redact(`echo: ${encodeURIComponent(`Basic ${basic}`)}`)).toBe('echo: […]');
  });

  it('takes out credential shapes it was never told: Basic and Bearer values, userinfo, tokens in a query', () => {
    const redactor = new Redactor();
    expect(redactor.redact(`got Authorization: Basic ${basic}`)).toBe('got Authorization: Basic […]');
    expect(redactor.redact('{"auth":"Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc"}')).toBe('{"auth":"Bearer […]"}');
    expect(redactor.redact('see https://ops:hunter2@acme.example/api')).toBe('see https://[…]@acme.example/api');
    expect(redactor.redact('/api/v2/tickets?page=2&access_token=abc123&x=1')).toBe(
      '/api/v2/tickets?page=2&access_token=[…]&x=1',
    );
    expect(redactor.redact('next%3Fapi_key%3Dk3y-v4lue%26page%3D2')).toBe('next%3Fapi_key%3D[…]');
    // Prose stays: a scheme's word before an ordinary word, a query without a credential.
    expect(redactor.redact('Basic authentication failed; see ?page=2')).toBe(
      'Basic authentication failed; see ?page=2',
    );
  });

  it('ignores values too short to mean anything (Freshdesk\'s password "X")', () => {
    const redactor = new Redactor();
    redactor.add('X');
    expect(redactor.redact('X marks the spot')).toBe('X marks the spot');
  });
});
