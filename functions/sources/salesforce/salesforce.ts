import { parse } from 'csv-parse/sync';
import { isSecureOrLoopback, sourceEntities, type ApiSourceConfig } from '../../config/schema.ts';
import { SourceError } from '../../errors.ts';
import type { SecretResolver } from '../../ports/secrets.ts';
import type { Source } from '../../ports/source.ts';
import {
  ApiConnection,
  ApiEntitySource,
  type ConnectorOptions,
  overlapMs,
  unexpected,
  type ApiPage,
  type EntityPull,
} from '../api/apiSource.ts';
import { HttpStatusError, vendorMessage, type ApiClient, type HttpResponse } from '../api/http.ts';
import { caseFields, stgSalesforceCase } from './stg_salesforce__tickets.ts';

/**
 * Salesforce Service Cloud: an OAuth 2.0 client-credentials token from the My Domain URL, then
 * Cases through Bulk API 2.0 queryAll jobs (deleted ones included) over half-open SystemModstamp
 * windows of 30 days: create, poll until JobComplete (a Failed or Aborted job stops with its
 * error), read the CSV results page by page with the Sforce-Locator until it is "null". The
 * First Response milestones of the window's cases come first, from a CaseMilestone job. An
 * expired session is renewed once; 403 REQUEST_LIMIT_EXCEEDED (the org's daily allowance) stops
 * with a clear message and is never retried.
 */
export const salesforceApiVersion = 'v62.0';
const windowMs = 30 * 86_400_000;
const resultsPageRecords = 50_000;

export interface SalesforceWatermark {
  /** Every case with SystemModstamp before this instant is landed. */
  modstampBefore: string;
}

/** Salesforce's own reading of a 403: the daily request allowance is used up. */
export function explainSalesforce(response: HttpResponse): string | undefined {
  if (response.status === 403 && response.text.includes('REQUEST_LIMIT_EXCEEDED')) {
    const usage = response.headers.get('sforce-limit-info');
    return `answered 403 REQUEST_LIMIT_EXCEEDED: the org's daily API request allowance is used up${usage ? ` (${usage})` : ''}; the pull stops here and goes on from its saved watermark once the allowance resets`;
  }
  return undefined;
}

interface Session {
  accessToken: string;
  instanceUrl: string;
}

class SalesforceApi {
  private session: Promise<Session> | undefined;

  constructor(
    private readonly connection: ApiConnection,
    private readonly client: ApiClient,
    private readonly credentials: Record<string, string>,
  ) {}

  private async token(): Promise<Session> {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.credentials.clientId!,
      client_secret: this.credentials.clientSecret!,
    }).toString();
    const { body: answer } = await this.client.json<{ access_token?: string; instance_url?: string }>({
      method: 'POST',
      url: `${this.connection.baseUrl}/services/oauth2/token`,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body,
    });
    if (!answer.access_token || !answer.instance_url)
      throw unexpected(
        'Salesforce',
        this.connection.config.name,
        'the token answer has no access_token or instance_url',
      );
    // Every data call carries the token to instance_url: it is held to the rule of baseUrl (docs/design.md, "Security").
    if (!URL.canParse(answer.instance_url) || !isSecureOrLoopback(new URL(answer.instance_url)))
      throw unexpected(
        'Salesforce',
        this.connection.config.name,
        'an instance_url that is not https (the token would cross the network in clear)',
      );
    return { accessToken: answer.access_token, instanceUrl: answer.instance_url.replace(/\/+$/, '') };
  }

  /** A call with the session; an expired one (401 INVALID_SESSION_ID) is renewed once. */
  async call<T>(make: (session: Session) => Promise<T>): Promise<T> {
    this.session ??= this.token();
    try {
      return await make(await this.session);
    } catch (error) {
      if (!(error instanceof HttpStatusError) || error.status !== 401) throw error;
      this.session = this.token();
      return make(await this.session);
    }
  }

  private headers(session: Session, json = true): Record<string, string> {
    return {
      Authorization: `Bearer ${session.accessToken}`,
      ...(json ? { 'Content-Type': 'application/json', Accept: 'application/json' } : { Accept: 'text/csv' }),
    };
  }

  /** Runs one queryAll job to the end; its CSV rows, page by page. */
  async *query(soql: string): AsyncIterable<Record<string, string>[]> {
    const base = (s: Session) => `${s.instanceUrl}/services/data/${salesforceApiVersion}/jobs/query`;
    const job = await this.call(
      async (s) =>
        (
          await this.client.json<{ id?: string; state?: string }>({
            method: 'POST',
            url: base(s),
            headers: this.headers(s),
            body: JSON.stringify({
              operation: 'queryAll',
              query: soql,
              contentType: 'CSV',
              columnDelimiter: 'COMMA',
              lineEnding: 'LF',
            }),
          })
        ).body,
    );
    if (!job.id) throw unexpected('Salesforce', this.connection.config.name, 'the new query job has no id');
    for (let waited = 0, polls = 0; ; polls++) {
      const status = await this.call(
        async (s) =>
          (
            await this.client.json<{ state: string; errorMessage?: string }>({
              url: `${base(s)}/${job.id}`,
              headers: this.headers(s),
            })
          ).body,
      );
      if (status.state === 'JobComplete') break;
      if (status.state === 'Failed' || status.state === 'Aborted') {
        throw new SourceError(
          `sources "${this.connection.config.name}": Salesforce query job ${job.id} ${status.state}${status.errorMessage ? `: ${status.errorMessage}` : ''}`,
        );
      }
      if (waited > 30 * 60_000)
        throw new SourceError(
          `sources "${this.connection.config.name}": Salesforce query job ${job.id} still ${status.state} after 30 minutes`,
        );
      waited += await this.client.pollWait(polls);
    }
    let locator: string | undefined;
    do {
      const page = await this.call((s) =>
        this.client.request({
          url: `${base(s)}/${job.id}/results?maxRecords=${resultsPageRecords}${locator ? `&locator=${encodeURIComponent(locator)}` : ''}`,
          headers: this.headers(s, false),
        }),
      );
      // Every page repeats the header; values may hold NUL bytes, which no field keeps.
      const rows = parse(page.text.replace(/\0/g, ''), {
        columns: true,
        skip_empty_lines: true,
        relax_column_count: false,
      }) as Record<string, string>[];
      yield rows;
      const next = page.headers.get('sforce-locator');
      locator = next && next !== 'null' ? next : undefined;
    } while (locator);
  }
}

const soqlTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function cases(connection: ApiConnection): EntityPull {
  return async function* (watermark, { now }): AsyncIterable<ApiPage> {
    const { client, credentials } = await connection.open();
    const api = new SalesforceApi(connection, client, credentials);
    const saved = watermark as SalesforceWatermark | undefined;
    let from = saved ? Date.parse(saved.modstampBefore) - overlapMs : connection.startOf(now).getTime();
    const end = now.getTime();
    while (from < end) {
      const to = Math.min(from + windowMs, end);
      const window = `SystemModstamp >= ${soqlTime(from)} AND SystemModstamp < ${soqlTime(to)}`;
      const firstResponse = new Map<string, string>();
      let note: string | undefined;
      try {
        for await (const rows of api.query(
          `SELECT CaseId, CompletionDate FROM CaseMilestone WHERE IsCompleted = true AND MilestoneType.Name = 'First Response' AND Case.${window}`,
        )) {
          for (const row of rows)
            if (row.CaseId && row.CompletionDate) firstResponse.set(row.CaseId, row.CompletionDate);
        }
      } catch (error) {
        // An org without entitlements has no CaseMilestone: first replies stay unmeasured.
        if (!(error instanceof SourceError) || !/query job .* Failed/.test(error.message)) throw error;
        note = `no First Response milestones (${vendorMessage(error.message) || error.message}): first_response_at is left empty`;
      }
      let page = 0;
      const pages: ApiPage[] = [];
      for await (const rows of api.query(`SELECT ${caseFields.join(', ')} FROM Case WHERE ${window}`)) {
        page += 1;
        pages.push({
          unit: `window:${soqlTime(from)}:page:${page}`,
          name: `salesforce cases ${soqlTime(from)} page ${page}`,
          records: rows.map((r) => stgSalesforceCase(r, firstResponse)),
          watermark: undefined,
          ...(note && page === 1 ? { note } : {}),
        });
        if (pages.length > 1) yield pages.shift()!;
      }
      // The window is durable once its last page is: only then does the watermark move past it.
      const last = pages.shift() ?? {
        unit: `window:${soqlTime(from)}:empty`,
        name: `salesforce cases ${soqlTime(from)}`,
        records: [],
        watermark: undefined,
        ...(note ? { note } : {}),
      };
      yield { ...last, watermark: { modstampBefore: new Date(to).toISOString() } satisfies SalesforceWatermark };
      from = to;
    }
  };
}

export function salesforceSources(
  config: ApiSourceConfig,
  secrets: SecretResolver,
  options: ConnectorOptions = {},
): Source[] {
  const connection = new ApiConnection(config, 'Salesforce', secrets, {
    explain: explainSalesforce,
    ...(options.timings ? { timings: options.timings } : {}),
  });
  return sourceEntities(config).map(
    (entity) => new ApiEntitySource(config.name, entity, cases(connection), connection, options),
  );
}
