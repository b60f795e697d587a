import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.ts';
import { extract } from '../../functions/stages/extract.ts';
import { captureCli } from '../support/cliOutput.ts';
import { connectorContext, writeConnectorConfig } from '../support/connectorLake.ts';
import { ReplayServer } from '../support/replayServer.ts';

/**
 * A hostile CRM server: every request is answered 401 with a body that echoes the request's
 * Authorization header (raw, url-encoded, JSON-escaped with PHP's `\/`) and its query string.
 * Zendesk (Basic of `email/token:secret`, and Bearer), Freshdesk (Basic of `key:X`): the error
 * extract throws, what `pulse run` prints on stderr and the owners' alert hold no credential in
 * any form, while they still say what happened.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'pulse-hostile-'));
const secrets = {
  PULSE_HOSTILE_EMAIL: 'ops@acme.example',
  PULSE_HOSTILE_ZD_TOKEN: 'zd-Tok3n/ab+cd=ef',
  PULSE_HOSTILE_OAUTH: 'oauth-b3arer.9f8e7d6c5b4a',
  PULSE_HOSTILE_FD_KEY: 'fd-k3y-0a1b2c3d4e5f',
};
Object.assign(process.env, secrets);

let server: ReplayServer;
beforeAll(async () => {
  const echo = (request: { headers: Record<string, unknown>; query: URLSearchParams }) => {
    const auth = String(request.headers.authorization ?? '');
    const said = `got ${auth} (${encodeURIComponent(auth)}) ${JSON.stringify(auth).replace(/\//g, '\\/')}`;
    return {
      status: 401,
      body: { error: "Couldn't authenticate you", description: `${said} for ?${request.query.toString()}` },
    };
  };
  server = await new ReplayServer().route('GET', /.*/, echo).start();
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Each credential as it goes on the wire, and every form of it an echo could carry. */
function wireForms(): string[] {
  const zdBasic = Buffer.from(`${secrets.PULSE_HOSTILE_EMAIL}/token:${secrets.PULSE_HOSTILE_ZD_TOKEN}`).toString(
    'base64',
  );
  const fdBasic = Buffer.from(`${secrets.PULSE_HOSTILE_FD_KEY}:X`).toString('base64');
  const values = [
    secrets.PULSE_HOSTILE_ZD_TOKEN,
    secrets.PULSE_HOSTILE_OAUTH,
    secrets.PULSE_HOSTILE_FD_KEY,
    zdBasic,
    fdBasic,
    `Bearer ${secrets.PULSE_HOSTILE_OAUTH}`,
  ];
  return values.flatMap((v) => [
    v,
    encodeURIComponent(v),
    Buffer.from(v).toString('base64'),
    JSON.stringify(v).slice(1, -1).replace(/\//g, '\\/'),
  ]);
}

function expectNoSecret(text: string, where: string): void {
  for (const form of wireForms()) expect(text.includes(form), `${where} holds ${form}:\n${text}`).toBe(false);
}

const sources = () => ({
  zendesk: {
    name: 'zd',
    type: 'zendesk',
    baseUrl: server.url,
    credentials: { email: 'env:PULSE_HOSTILE_EMAIL', token: 'env:PULSE_HOSTILE_ZD_TOKEN' },
    startDate: '2026-09-01',
    requestsPerMinute: 60_000,
  },
  'zendesk-oauth': {
    name: 'zdo',
    type: 'zendesk',
    baseUrl: server.url,
    credentials: { oauthToken: 'env:PULSE_HOSTILE_OAUTH' },
    startDate: '2026-09-01',
    requestsPerMinute: 60_000,
  },
  freshdesk: {
    name: 'fd',
    type: 'freshdesk',
    baseUrl: server.url,
    credentials: { apiKey: 'env:PULSE_HOSTILE_FD_KEY' },
    startDate: '2026-09-01',
    requestsPerMinute: 60_000,
  },
});

describe('a server that answers 401 and echoes the credentials', () => {
  const cli = captureCli();

  for (const kind of ['zendesk', 'zendesk-oauth', 'freshdesk'] as const) {
    it(`${kind}: the error extract throws quotes the server but holds no credential in any form`, async () => {
      const ctx = await connectorContext(writeConnectorConfig(dir, `extract-${kind}`, sources()[kind]));
      const before = server.requests.length;
      const error = await extract(ctx).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      await ctx.engine.close();
      // The echo reached Pulse (so the test tests something), and was read as a refusal.
      const sent = String(server.requests[before]!.headers.authorization);
      expect(sent).toMatch(/^(Basic|Bearer) /);
      expect(error?.message).toMatch(/answered 401: the credentials were refused \(Couldn't authenticate you: got /);
      expectNoSecret(`${error?.message}\n${error?.stack}`, 'the error');
    });

    it(`${kind}: pulse run's stderr, its --json error and the owners' alert hold no credential`, async () => {
      const folder = path.join(dir, `run-${kind}`);
      const file = writeConnectorConfig(dir, `run-${kind}`, sources()[kind], false, { owners: ['owner@acme.example'] });
      // The whole run for Zendesk; extract alone (what lands API sources on an s3:// lake) for the others.
      const stages = kind === 'zendesk' ? [] : ['--stages', 'extract'];
      const code = await main(['run', '--config', file, '--period', '2026-10', ...stages, '--json'], cli.io);
      expect(code).toBe(1);
      const answer = JSON.parse(cli.out()) as { error: { message: string } };
      expect(answer.error.message).toMatch(/stage extract failed: .*answered 401/);
      expect(cli.err()).toMatch(/answered 401/);
      expectNoSecret(cli.out(), '--json');
      expectNoSecret(cli.err(), 'stderr');
      const owners = path.join(folder, 'lake', 'outbox', '2026-10', '_owners');
      const alerts = readdirSync(owners);
      expect(alerts).toHaveLength(1);
      const raw = readFileSync(path.join(owners, alerts[0]!));
      const alert = await simpleParser(raw);
      expect(alert.text).toMatch(/failed in the extract stage[\s\S]*answered 401/);
      expectNoSecret(`${alert.subject}\n${alert.text}\n${raw.toString('utf8')}`, 'the alert');
    });
  }
});

describe('a Salesforce token answer that sends the data calls over plain http', () => {
  it('is refused before the token leaves for that address', async () => {
    const org = await new ReplayServer()
      .route('POST', /oauth2\/token$/, () => ({
        body: { access_token: 'sf-t0ken-9a8b7c6d', instance_url: 'http://crm.attacker.example' },
      }))
      .start();
    try {
      const source = {
        name: 'sf',
        type: 'salesforce',
        baseUrl: org.url,
        credentials: { clientId: 'env:PULSE_HOSTILE_EMAIL', clientSecret: 'env:PULSE_HOSTILE_FD_KEY' },
        startDate: '2026-09-01',
        requestsPerMinute: 60_000,
      };
      const ctx = await connectorContext(writeConnectorConfig(dir, 'salesforce', source));
      await expect(extract(ctx)).rejects.toThrow(/sources "sf": .*an instance_url that is not https/);
      await ctx.engine.close();
    } finally {
      await org.stop();
    }
  });
});
