import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../functions/errors.ts';
import { ApiClient, HttpStatusError, retryAfterMs, type HttpTimings } from '../../functions/sources/api/http.ts';
import { ReplayServer } from '../support/replayServer.ts';

/**
 * The connectors' HTTP client against a real HTTP server on loopback: it obeys Retry-After
 * (no request leaves before the time the server named), retries 5xx, resets, timeouts and cut
 * bodies with backoff, treats 401/403/404 by their meaning, holds the request rate, and never
 * puts a credential in a message.
 */
const server = new ReplayServer();
let served = 0;

beforeAll(async () => {
  server.route('GET', /^\/ok$/, () => ({ body: { n: ++served } }));
  server.route('GET', /^\/text$/, () => ({ body: 'not json at all' }));
  await server.start();
});
afterAll(() => server.stop());
beforeEach(() => {
  server.clearFaults();
  server.requests.length = 0;
});

const quick: Partial<HttpTimings> = {
  timeoutMs: 300,
  backoffFirstMs: 5,
  backoffMaxMs: 20,
  retries: 3,
  random: () => 0.5,
};
const client = (extra: Partial<ConstructorParameters<typeof ApiClient>[0]> = {}) =>
  new ApiClient({
    vendor: 'Acme',
    source: 'acme',
    requestsPerMinute: 60_000,
    secrets: ['s3cr3t-token'],
    timings: quick,
    ...extra,
  });

describe("the connectors' HTTP client", () => {
  it("waits out a 429's Retry-After before sending anything else, then goes on", async () => {
    server.fail(/^\/ok$/, { kind: 'status', status: 429, headers: { 'Retry-After': '1' }, body: 'Too Many Requests' });
    const api = client();
    const answer = await api.json<{ n: number }>({ url: `${server.url}/ok` });
    expect(answer.body.n).toBeGreaterThan(0);
    const [limited, next] = server.requests;
    expect(next!.at - limited!.at).toBeGreaterThanOrEqual(990);
    expect(api.stats).toMatchObject({ requests: 2, retries: 1 });
    // The client counts its own waits (the backoff and the pause); the time between reading the 429 and
    // starting to wait is not among them, and on a loaded machine that is a few milliseconds.
    expect(api.stats.waitedMs).toBeGreaterThanOrEqual(900);
    expect(api.stats.waitedMs).toBeLessThanOrEqual(next!.at - limited!.at + 5);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-02T06:00:00Z');
    expect(retryAfterMs(new Headers({ 'Retry-After': '7' }), now)).toBe(7000);
    expect(retryAfterMs(new Headers({ 'Retry-After': 'Mon, 02 Nov 2026 06:00:30 GMT' }), now)).toBe(30_000);
    expect(retryAfterMs(new Headers({}), now)).toBeUndefined();
  });

  it('stops at once on a Retry-After longer than it may wait, saying so', async () => {
    server.fail(/^\/ok$/, { kind: 'status', status: 429, headers: { 'Retry-After': '86400' } });
    const failure = await client()
      .json({ url: `${server.url}/ok` })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SourceError);
    expect((failure as Error).message).toMatch(
      /^sources "acme": Acme GET http:\/\/127\.0\.0\.1:\d+\/ok: answered 429 and asks to wait 86400 s, longer than 900 s: run again later$/,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('retries a 500, a reset, an answer past the timeout and a body cut short, then succeeds', async () => {
    server.fail(
      /^\/ok$/,
      { kind: 'status', status: 500, body: '{"error":"boom"}' },
      { kind: 'reset' },
      { kind: 'slow', ms: 600 },
      { kind: 'truncated' },
    );
    const api = client({ timings: { ...quick, retries: 5 } });
    const answer = await api.json<{ n: number }>({ url: `${server.url}/ok` });
    expect(answer.body.n).toBeGreaterThan(0);
    expect(server.requests).toHaveLength(5);
    expect(api.stats.retries).toBe(4);
  });

  it('gives up after its retries with what the server last said', async () => {
    server.fail(
      /^\/ok$/,
      ...Array.from({ length: 4 }, () => ({ kind: 'status' as const, status: 503, body: '{"message":"maintenance"}' })),
    );
    const failure = await client()
      .json({ url: `${server.url}/ok` })
      .catch((e: unknown) => e);
    expect((failure as Error).message).toMatch(/answered 503 \(maintenance\), still after 4 attempts$/);
    expect(server.requests).toHaveLength(4);
  });

  it('does not retry 401 or 403, and puts no credential in the message', async () => {
    server.fail(/^\/ok$/, {
      kind: 'status',
      status: 401,
      body: '{"error":"Couldn\'t authenticate you with s3cr3t-token"}',
    });
    const unauthorised = await client()
      .json({ url: `${server.url}/ok?token=s3cr3t-token` })
      .catch((e: unknown) => e);
    expect(unauthorised).toBeInstanceOf(HttpStatusError);
    expect((unauthorised as HttpStatusError).status).toBe(401);
    expect((unauthorised as Error).message).toContain(
      "answered 401: the credentials were refused (Couldn't authenticate you with […])",
    );
    expect((unauthorised as Error).message).not.toContain('s3cr3t');
    server.fail(/^\/ok$/, { kind: 'status', status: 403, body: '{"message":"forbidden"}' });
    const forbidden = await client()
      .json({ url: `${server.url}/ok` })
      .catch((e: unknown) => e);
    expect((forbidden as Error).message).toMatch(/answered 403: not allowed \(forbidden\)/);
    expect(server.requests).toHaveLength(2);
  });

  it('hands back an accepted 404 as an answer, and any other as an error with its status', async () => {
    const accepted = await client().request({ url: `${server.url}/nowhere`, accept: [404] });
    expect(accepted.status).toBe(404);
    const refused = await client()
      .request({ url: `${server.url}/nowhere` })
      .catch((e: unknown) => e);
    expect((refused as HttpStatusError).status).toBe(404);
  });

  it('retries a body that is not JSON, then says what it got', async () => {
    const failure = await client()
      .json({ url: `${server.url}/text` })
      .catch((e: unknown) => e);
    expect((failure as Error).message).toMatch(
      /answered 200 with a body that is not JSON \(15 bytes: "not json at all"\), still after 4 attempts$/,
    );
  });

  it('spaces its requests at the configured rate', async () => {
    const api = client({ requestsPerMinute: 600 });
    for (let i = 0; i < 4; i++) await api.json({ url: `${server.url}/ok` });
    // The client spaces the starts 100 ms apart; one arrival delayed by a busy machine shortens the
    // next gap as seen by the server, so the span is what holds: 3 gaps of 100 ms, less 10% jitter.
    const arrivals = server.requests.map((r) => r.at);
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(270);
  });
});
