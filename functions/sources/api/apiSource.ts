import { connectorFacts, type ApiSourceConfig } from '../../config/schema.ts';
import { SourceError } from '../../errors.ts';
import type { SecretResolver } from '../../ports/secrets.ts';
import type { Source, SourceChunk } from '../../ports/source.ts';
import { ApiClient, type HttpResponse, type HttpStats, type HttpTimings } from './http.ts';

/** A page of canonical records (names of the canonical model, string values), as a connector yields it. */
export interface ApiPage {
  /** Stable for the request it answers (the cursor or window it was read from): landed again only if read again. */
  unit: string;
  /** How the page is named in messages. */
  name: string;
  records: Record<string, string | null>[];
  /** Saved once this page (and all before it) is durable; undefined: not a place to resume from. */
  watermark: unknown;
  /** A line for the run's log. */
  note?: string;
}

/** One account's connection: the HTTP client (its rate limit shared by every entity pulled) and the credentials, resolved once. */
export class ApiConnection {
  private resolved: Promise<{ client: ApiClient; credentials: Record<string, string> }> | undefined;
  private client: ApiClient | undefined;

  constructor(
    readonly config: ApiSourceConfig,
    readonly vendor: string,
    private readonly secrets: SecretResolver,
    private readonly options: {
      timings?: Partial<HttpTimings>;
      explain?: (response: HttpResponse) => string | undefined;
    } = {},
  ) {}

  get baseUrl(): string {
    return (this.config.baseUrl ?? '').replace(/\/+$/, '');
  }

  /** Resolved at the first request, so a run that does not extract needs no secret. */
  async open(): Promise<{ client: ApiClient; credentials: Record<string, string> }> {
    this.resolved ??= (async () => {
      const credentials: Record<string, string> = {};
      for (const [key, ref] of Object.entries(this.config.credentials))
        credentials[key] = await this.secrets.resolve(ref);
      const client = new ApiClient({
        vendor: this.vendor,
        source: this.config.name,
        requestsPerMinute: this.config.requestsPerMinute ?? connectorFacts[this.config.type].requestsPerMinute,
        secrets: Object.values(credentials),
        ...(this.options.explain ? { explain: this.options.explain } : {}),
        ...(this.options.timings ? { timings: this.options.timings } : {}),
      });
      this.client = client;
      return { client, credentials };
    })();
    return this.resolved;
  }

  /** What the client has done so far (shared by every entity of the account), once it is open. */
  stats(): HttpStats | undefined {
    return this.client?.stats;
  }

  /** Where the first backfill starts: startDate, else 365 days before `now` (UTC midnight). */
  startOf(now: Date): Date {
    if (this.config.startDate) return new Date(`${this.config.startDate}T00:00:00Z`);
    const start = new Date(now.getTime() - 365 * 86_400_000);
    return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()));
  }
}

/** What the registry passes every connector besides its config and the secrets. */
export interface ConnectorOptions {
  /** For tests: the HTTP client's clock and waits. */
  timings?: Partial<HttpTimings>;
  clock?: () => Date;
  checkpointRecords?: number;
}

/** Records a landed part of an API source gathers before its watermark is saved. */
export const defaultCheckpointRecords = 20_000;

/** What a connector pulls for one entity: pages from a watermark (undefined on the first run). */
export type EntityPull = (watermark: unknown, context: { now: Date; reextract: boolean }) => AsyncIterable<ApiPage>;

/**
 * One entity of an API source, as the Source port sees it: extract saves its watermark under
 * state/<source>/<entity>.json and lands its pages as records under raw/<entity>/source=<source>/.
 * Several share one ApiConnection, so one account's rate limit covers all its entities.
 */
export class ApiEntitySource implements Source {
  readonly reading = { values: {} };

  readonly checkpointRecords: number;
  private readonly clock: () => Date;

  constructor(
    readonly name: string,
    readonly entity: string,
    private readonly pullPages: EntityPull,
    private readonly connection: ApiConnection,
    options: ConnectorOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.checkpointRecords = options.checkpointRecords ?? defaultCheckpointRecords;
  }

  activity(): HttpStats | undefined {
    return this.connection.stats();
  }

  async *pull(watermark: unknown, options: { reextract?: boolean } = {}): AsyncIterable<SourceChunk> {
    const reextract = options.reextract ?? false;
    for await (const page of this.pullPages(reextract ? undefined : watermark, { now: this.clock(), reextract })) {
      yield {
        unit: page.unit,
        name: page.name,
        records: page.records,
        ...(page.watermark !== undefined ? { watermark: page.watermark } : {}),
        ...(page.note ? { note: page.note } : {}),
      };
    }
  }
}

/**
 * A timestamp as a UTC instant in ISO 8601 (CONNECTORS.md: every timestamp normalised to UTC),
 * or null; an offset written without a colon (Salesforce's +0000) is read too. A value that is
 * no timestamp is landed as it is, and curate rejects it with its reason.
 */
export function isoOrNull(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number') return new Date(value).toISOString();
  const raw = String(value);
  const at = Date.parse(raw.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return /^\d{4}-\d{2}-\d{2}T/.test(raw) && !Number.isNaN(at) ? new Date(at).toISOString() : raw;
}

/** A value as text for the landed record, or null (an empty string is null: CONNECTORS.md). */
export function text(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  return String(value);
}

/** The records' latest time of a field (ISO strings), for a time watermark. */
export function latest(
  records: readonly Record<string, string | null>[],
  field: string,
  since: string | undefined,
): string | undefined {
  let out = since;
  for (const r of records) {
    const at = r[field];
    if (at && (!out || Date.parse(at) > Date.parse(out))) out = new Date(Date.parse(at)).toISOString();
  }
  return out;
}

/** The overlap re-read behind a time watermark (CONNECTORS.md): five minutes; curate keeps the latest version. */
export const overlapMs = 5 * 60_000;

/** A time watermark less the overlap, as epoch ms. */
export function resumeAt(watermarkIso: string | undefined, start: Date): number {
  return watermarkIso ? Date.parse(watermarkIso) - overlapMs : start.getTime();
}

export function unexpected(vendor: string, source: string, what: string): SourceError {
  return new SourceError(`sources "${source}": ${vendor} answered in a shape Pulse does not know: ${what}`);
}
