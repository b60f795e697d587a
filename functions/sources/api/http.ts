import pRetry, { AbortError } from 'p-retry';
import pThrottle from 'p-throttle';
import { SourceError } from '../../errors.ts';
import { processRedactor } from '../../redaction.ts';

/**
 * The one HTTP client of the CRM connectors: Node's fetch (undici) with a timeout per request,
 * a client-side rate limiter at the source's requestsPerMinute (p-throttle, one request per
 * slot), retries with capped exponential backoff and jitter (p-retry), and the server's word on
 * waiting obeyed: after a 429 (or a 503) with Retry-After, no request of this client is sent
 * until that time has passed. Statuses are treated by their meaning: 401 and 403 stop with the
 * vendor's message, 404 is an answer the connector decides on, other 4xx stop; 429, 5xx,
 * resets, timeouts and bodies cut short are retried. No message carries a credential in any form
 * (functions/redaction.ts): the secrets and every credential header sent are taken out of what a
 * server answers before any of it is quoted, and out of every message.
 */
export interface HttpRequest {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Statuses that are answers here rather than errors (a 404 for a deleted ticket's metrics). */
  accept?: readonly number[];
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

export interface HttpTimings {
  /** Per request, until the whole body is in. */
  timeoutMs: number;
  /** Retries after the first attempt, for 429, 5xx, resets, timeouts and cut bodies. */
  retries: number;
  backoffFirstMs: number;
  backoffMaxMs: number;
  /** The longest Retry-After obeyed; a longer one stops with a clear error rather than hang a run. */
  maxRetryAfterMs: number;
  /** A connector polling a job (Salesforce Bulk API): the first wait, doubling up to pollMaxMs. */
  pollFirstMs: number;
  pollMaxMs: number;
  sleep(ms: number): Promise<void>;
  now(): number;
  random(): number;
}

export const defaultHttpTimings: HttpTimings = {
  timeoutMs: 60_000,
  retries: 6,
  backoffFirstMs: 1_000,
  backoffMaxMs: 60_000,
  maxRetryAfterMs: 15 * 60_000,
  pollFirstMs: 1_000,
  pollMaxMs: 10_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
  random: () => Math.random(),
};

export interface ApiClientOptions {
  /** The vendor, for messages: "Zendesk". */
  vendor: string;
  /** The config's source name, for messages. */
  source: string;
  requestsPerMinute: number;
  /** Values never to show in a message (tokens, keys), in any of their encodings: replaced by […]. */
  secrets?: readonly string[];
  /** A vendor's reading of an error answer: a message to stop with, or undefined for the default treatment. */
  explain?: (response: HttpResponse) => string | undefined;
  timings?: Partial<HttpTimings>;
}

/** What the client has done so far, for the progress line. */
export interface HttpStats {
  requests: number;
  retries: number;
  /** Time spent waiting because the server said to (Retry-After) or the rate limiter held a request. */
  waitedMs: number;
}

/** A 404 (or another accepted status) the connector reads as an answer. */
export class HttpStatusError extends SourceError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

class Retryable extends Error {}

/** Retry-After in seconds or as an HTTP date, in ms from now; undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers, now: number): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Request headers that carry a credential (Authorization, an API key, a session cookie). */
const credentialHeader = /auth|token|key|secret|cookie|session/i;

export class ApiClient {
  readonly stats: HttpStats = { requests: 0, retries: 0, waitedMs: 0 };
  private readonly timings: HttpTimings;
  private readonly slot: () => Promise<void>;
  /** No request leaves before this instant (epoch ms): the server said to wait. */
  private pausedUntil = 0;

  constructor(private readonly options: ApiClientOptions) {
    this.timings = { ...defaultHttpTimings, ...options.timings };
    processRedactor.add(...(options.secrets ?? []));
    // One request per slot, evenly spaced: a burst of a minute's allowance would trip the vendor's per-second limits.
    this.slot = pThrottle({ limit: 1, interval: Math.max(1, Math.floor(60_000 / options.requestsPerMinute)) })(
      async () => {},
    );
  }

  /** The wait before a job's n-th poll (0-based), on the client's clock: doubling, capped. */
  async pollWait(n: number): Promise<number> {
    const wait = Math.min(this.timings.pollMaxMs, this.timings.pollFirstMs * 2 ** n);
    await this.timings.sleep(wait);
    return wait;
  }

  /** A text with every secret of the process, in every form, and every credential shape taken out. */
  redact(text: string): string {
    return processRedactor.redact(text);
  }

  private where(request: HttpRequest): string {
    // The path only: a query string may carry a token (never ours, but a next-page URL might).
    const url = new URL(request.url);
    return `${request.method ?? 'GET'} ${url.origin}${url.pathname}`;
  }

  /** The error naming the source, the vendor and the request; with the status when the connector may act on it (a 401, a 404). */
  private fail(request: HttpRequest, what: string, status?: number): SourceError {
    const message = this.redact(
      `sources "${this.options.source}": ${this.options.vendor} ${this.where(request)}: ${what}`,
    );
    return status === undefined ? new SourceError(message) : new HttpStatusError(message, status);
  }

  /**
   * Runs `attempt` until it succeeds, fails for good, or the retries are spent. p-retry counts;
   * the waits are ours (capped exponential backoff with full jitter, on the injectable clock),
   * and a Retry-After the server gave is waited out before the next request in any case.
   */
  private async retrying<T>(request: HttpRequest, attempt: () => Promise<T>): Promise<T> {
    const t = this.timings;
    try {
      return await pRetry(attempt, {
        retries: t.retries,
        minTimeout: 0,
        maxTimeout: 0,
        shouldRetry: async ({ error, retriesConsumed }) => {
          if (!(error instanceof Retryable)) return false;
          this.stats.retries += 1;
          const ceiling = Math.min(t.backoffMaxMs, t.backoffFirstMs * 2 ** retriesConsumed);
          const wait = Math.round(ceiling * t.random());
          this.stats.waitedMs += wait;
          await t.sleep(wait);
          return true;
        },
      });
    } catch (error) {
      if (error instanceof Retryable)
        throw this.fail(request, `${error.message}, still after ${t.retries + 1} attempts`);
      throw error;
    }
  }

  /** One request, retried as its failure says; the response of an accepted status, or a SourceError. */
  async request(request: HttpRequest): Promise<HttpResponse> {
    return this.retrying(request, () => this.attempt(request));
  }

  /** A JSON answer; a body that does not parse (cut short, an HTML error page) is retried like a reset. */
  async json<T>(request: HttpRequest): Promise<{ body: T; status: number; headers: Headers }> {
    return this.retrying(request, async () => {
      const response = await this.attempt(request);
      try {
        return { body: JSON.parse(response.text) as T, status: response.status, headers: response.headers };
      } catch {
        throw new Retryable(
          `answered ${response.status} with a body that is not JSON (${response.text.length} bytes: ${JSON.stringify(this.redact(response.text).slice(0, 80))})`,
        );
      }
    });
  }

  private async waitTurn(): Promise<void> {
    const t = this.timings;
    const started = t.now();
    for (;;) {
      const wait = this.pausedUntil - t.now();
      if (wait <= 0) break;
      await t.sleep(wait);
    }
    await this.slot();
    this.stats.waitedMs += t.now() - started;
  }

  private async attempt(request: HttpRequest): Promise<HttpResponse> {
    const t = this.timings;
    await this.waitTurn();
    this.stats.requests += 1;
    // A header carrying a credential is learnt before it leaves: an answer echoing it is redacted.
    for (const [name, value] of Object.entries(request.headers ?? {}))
      if (credentialHeader.test(name)) processRedactor.add(value, value.replace(/^\S+\s+/, ''));
    let response: Response;
    let text: string;
    try {
      response = await fetch(request.url, {
        method: request.method ?? 'GET',
        headers: request.headers ?? {},
        ...(request.body !== undefined ? { body: request.body } : {}),
        signal: AbortSignal.timeout(t.timeoutMs),
        redirect: 'follow',
      });
      text = await response.text();
    } catch (error) {
      const name = (error as Error)?.name;
      const cause = (error as { cause?: { code?: string } })?.cause?.code;
      const what =
        name === 'TimeoutError' || name === 'AbortError'
          ? `no complete answer within ${Math.round(t.timeoutMs / 1000)} s`
          : `the connection failed (${cause ?? (error as Error)?.message ?? name})`;
      throw new Retryable(what);
    }
    const answer: HttpResponse = { status: response.status, headers: response.headers, text };
    if ((response.status >= 200 && response.status < 300) || request.accept?.includes(response.status)) return answer;
    // An error's body is redacted before any of it is read or cut: a cut could keep half a credential.
    const shown = { ...answer, text: this.redact(text) };
    const explained = this.options.explain?.(shown);
    if (explained) throw new AbortError(this.fail(request, explained));
    const said = vendorMessage(shown.text);
    if (response.status === 429 || response.status === 503) {
      const after = retryAfterMs(response.headers, t.now());
      if (after !== undefined) {
        if (after > t.maxRetryAfterMs) {
          throw new AbortError(
            this.fail(
              request,
              `answered ${response.status} and asks to wait ${Math.round(after / 1000)} s, longer than ${Math.round(t.maxRetryAfterMs / 1000)} s: run again later${said ? ` (${said})` : ''}`,
            ),
          );
        }
        this.pausedUntil = Math.max(this.pausedUntil, t.now() + after);
      }
      throw new Retryable(`answered ${response.status}${said ? ` (${said})` : ''}`);
    }
    if (response.status >= 500) throw new Retryable(`answered ${response.status}${said ? ` (${said})` : ''}`);
    if (response.status === 401)
      throw new AbortError(
        this.fail(
          request,
          `answered 401: the credentials were refused${said ? ` (${said})` : ''}; check the source's credentials`,
          401,
        ),
      );
    if (response.status === 403)
      throw new AbortError(
        this.fail(request, `answered 403: not allowed${said ? ` (${said})` : ''}; check the credentials' permissions`),
      );
    throw new AbortError(this.fail(request, `answered ${response.status}${said ? ` (${said})` : ''}`, response.status));
  }
}

/** The vendor's own words in an error body (JSON `message`/`error`/`description`, or short plain text). */
export function vendorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as unknown;
    const first = Array.isArray(body) ? body[0] : body;
    if (first && typeof first === 'object') {
      const o = first as Record<string, unknown>;
      const parts = [o.errorCode, o.error, o.message, o.description, o.error_description].filter(
        (v): v is string => typeof v === 'string',
      );
      if (parts.length > 0) return [...new Set(parts)].join(': ').slice(0, 200);
    }
  } catch {
    // Not JSON: plain text, if short.
  }
  const plain = text.trim();
  return plain.length > 0 && plain.length <= 200 && !plain.startsWith('<') ? plain : '';
}
