import { z } from 'zod';
import { kpiIds } from '../kpis/catalog.ts';
import { isLocale } from '../kpis/format.ts';
import { entityByName, entityNames } from '../model/index.ts';
import { didYouMean } from './suggest.ts';

/** A secret is a reference, never a literal: `env:NAME` locally, a Secrets Manager ARN in AWS. */
export const secretRef = z
  .string()
  .regex(
    /^(env:[A-Za-z_][A-Za-z0-9_]*|arn:aws:secretsmanager:.+)$/,
    'must be a reference (env:NAME or a Secrets Manager ARN), never a literal secret',
  );

/**
 * A host that never leaves the machine (127.0.0.0/8, ::1, localhost): the only place a credential
 * may travel without TLS, to a test double or a local relay (docs/design.md, "Security").
 */
export function isLoopback(host: string): boolean {
  const name = host.replace(/^\[|\]$/g, '').toLowerCase();
  return name === 'localhost' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** An address credentials may be sent to: https, or http on loopback. */
export function isSecureOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname));
}

/** RFC 5322's addr-spec with a dot-atom local part: `pulse@acme.example`, `pulse@localhost`. */
const addrSpec =
  "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*" +
  '@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*';
/** One mailbox: the address alone, or a display name (plain, or quoted) before it in angle brackets. */
const mailbox = new RegExp(`^(${addrSpec}|([^<>"\\\\,;:@]+|"[^"\\\\]*") *<${addrSpec}>)$`);

/**
 * The sender: one mailbox, as the From header, the SMTP envelope and SES's Source take it. A line
 * break in it would write headers of its own into every message (header injection).
 */
const mailFrom = z
  .string()
  .refine((from) => !/\p{Cc}/u.test(from), {
    message: 'holds a line break or a control character, which would write mail headers of its own: one address',
    abort: true,
  })
  .refine(
    (from) => from.length <= 254 && mailbox.test(from),
    'not an e-mail address: one address such as pulse@acme.example or Pulse <pulse@acme.example>',
  );

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const timeZone = z.string().refine(isTimeZone, 'unknown IANA time zone');

/** A source's name becomes an S3 key (state/<source>/…); it starts with a letter or digit. */
const sourceName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/i, 'a letter or digit, then letters, digits, - and _ (it becomes an S3 key)');

const entityName = z.enum(entityNames as [string, ...string[]]);

/** The encodings a CSV source can name (docs/design.md, "Real exports as they come"). */
export const csvEncodings = ['utf-8', 'utf-16le', 'utf-16be', 'windows-1252', 'latin1'] as const;
export type CsvEncoding = (typeof csvEncodings)[number];

export const csvSourceSchema = z
  .strictObject({
    name: sourceName,
    type: z.literal('csv'),
    entity: entityName,
    path: z.string().min(1),
    /** canonical field → header in the file. */
    columns: z.record(z.string(), z.string()).default({}),
    /** canonical field → { source value → canonical value }. */
    values: z.record(z.string(), z.record(z.string(), z.string())).default({}),
    /** Zone of timestamps that carry none; default: the business time zone. */
    timezone: timeZone.optional(),
    /** Luxon tokens of the export's dates and timestamps (`dd.MM.yyyy HH:mm`); ISO 8601 always reads. */
    dateFormat: z
      .string()
      .refine(
        (f) => /yy/.test(f) && /M/.test(f) && /d/.test(f),
        'luxon tokens with a year, month and day, e.g. dd.MM.yyyy HH:mm',
      )
      // A two-digit year (yy) is 20yy on both engines (docs/rules.md, "Dates and times").
      .optional(),
    /**
     * The export's decimal separator; `,` for European exports (1.234,5), `.` where a comma groups
     * thousands (12,500). Unset, a number holding a comma is bad_number: it is never guessed.
     */
    decimal: z.enum(['.', ',']).optional(),
    /**
     * `full`: the files the path matches are the whole truth, so records no longer in them are
     * removed; `incremental`: each export adds versions, and records are kept (docs/design.md, "Full exports").
     */
    mode: z.enum(['incremental', 'full']).default('incremental'),
    /** The export's encoding when it has no BOM (a BOM picks UTF-8 or UTF-16 whatever this says). */
    encoding: z.enum(csvEncodings).default('utf-8'),
    /** Default: Excel's `sep=` first line, else the one of , ; tab | that splits the header most. */
    delimiter: z
      .string()
      .length(1)
      .refine((d) => !['"', '\r', '\n'].includes(d), 'a quote or a line end cannot be the delimiter')
      .optional(),
  })
  .superRefine((source, ctx) => {
    // A mapping names canonical fields: a typo here would silently map nothing.
    const fields = entityByName(source.entity)?.columns.map((c) => c.name) ?? [];
    for (const group of ['columns', 'values'] as const) {
      for (const field of Object.keys(source[group])) {
        if (!fields.includes(field))
          ctx.addIssue({
            code: 'custom',
            path: [group, field],
            message: `${source.entity} has no field "${field}"${didYouMean(field, fields)}`,
          });
      }
    }
  });

export type CsvSourceConfig = z.infer<typeof csvSourceSchema>;

/** What each connector can pull (CONNECTORS.md, "Canonical mapping"), and its default request rate. */
export const connectorFacts = {
  zendesk: {
    entities: ['tickets', 'surveys'],
    requestsPerMinute: 10,
    credentials: [['email', 'token'], ['oauthToken']],
    unfilled: { tickets: ['closed_at', 'is_escalated', 'team', 'customer_replies', 'handle_seconds'] },
  },
  salesforce: {
    entities: ['tickets'],
    requestsPerMinute: 100,
    credentials: [['clientId', 'clientSecret']],
    unfilled: { tickets: ['reopens', 'agent_replies', 'satisfaction', 'team', 'customer_replies', 'handle_seconds'] },
  },
  hubspot: {
    entities: ['tickets', 'surveys'],
    requestsPerMinute: 240,
    credentials: [['token']],
    unfilled: {
      tickets: [
        'customer_id',
        'is_escalated',
        'reopens',
        'agent_replies',
        'satisfaction',
        'team',
        'customer_replies',
        'handle_seconds',
      ],
    },
  },
  freshdesk: {
    entities: ['tickets', 'surveys'],
    requestsPerMinute: 100,
    credentials: [['apiKey']],
    unfilled: { tickets: ['agent_replies', 'satisfaction', 'team', 'customer_replies', 'handle_seconds'] },
  },
} as const satisfies Record<
  string,
  {
    entities: readonly string[];
    requestsPerMinute: number;
    credentials: readonly (readonly string[])[];
    unfilled: Record<string, readonly string[]>;
  }
>;

export type ConnectorType = keyof typeof connectorFacts;

/**
 * An API source (docs/design.md, "API sources"): the account's baseUrl, credentials as references
 * only, the first backfill's start, the entities to pull (default: all the connector maps) and
 * the request rate (default: the vendor's documented allowance for the endpoints it uses).
 */
export const apiSourceSchema = z
  .strictObject({
    name: sourceName,
    type: z.enum(Object.keys(connectorFacts) as [ConnectorType, ...ConnectorType[]]),
    baseUrl: z.url().optional(),
    credentials: z.record(z.string(), secretRef).default({}),
    startDate: z.iso.date().optional(),
    entities: z.array(entityName).min(1).optional(),
    requestsPerMinute: z.number().int().positive().max(100_000).optional(),
  })
  .superRefine((source, ctx) => {
    const facts = connectorFacts[source.type];
    for (const [i, entity] of (source.entities ?? []).entries()) {
      if (!(facts.entities as readonly string[]).includes(entity))
        ctx.addIssue({
          code: 'custom',
          path: ['entities', i],
          message: `the ${source.type} connector does not pull ${entity} (it pulls ${facts.entities.join(', ')})`,
        });
    }
    const given = Object.keys(source.credentials);
    if (!facts.credentials.some((set) => set.every((k) => given.includes(k)))) {
      ctx.addIssue({
        code: 'custom',
        path: ['credentials'],
        message: `the ${source.type} connector needs ${facts.credentials.map((set) => set.join(' + ')).join(', or ')} (references: env:NAME or a Secrets Manager ARN)`,
      });
    }
    if (source.type !== 'hubspot' && !source.baseUrl)
      ctx.addIssue({
        code: 'custom',
        path: ['baseUrl'],
        message: `the ${source.type} connector needs the account's own address (docs/design.md, "API sources")`,
      });
    if (source.baseUrl) {
      // The credentials go in every request's headers: over plain http anyone on the path reads them.
      const url = new URL(source.baseUrl);
      const where = `source "${source.name}"`;
      if (!isSecureOrLoopback(url))
        ctx.addIssue({
          code: 'custom',
          path: ['baseUrl'],
          message: `${where}: baseUrl must be https:// (http:// only on loopback: 127.0.0.1, ::1, localhost), or the credentials cross the network in clear`,
        });
      // Not echoed: the address may hold the password.
      if (url.username || url.password)
        ctx.addIssue({
          code: 'custom',
          path: ['baseUrl'],
          message: `${where}: baseUrl holds a user or password (user:password@): put them in credentials, as references`,
        });
    }
  });

export type ApiSourceConfig = z.infer<typeof apiSourceSchema>;

/**
 * Fields of an entity that no configured source fills (`tickets.reopens` when every ticket source
 * is a connector whose API has no such field, CONNECTORS.md), each with the sources that cannot:
 * a KPI that needs one is notMeasured with that reason, never zero. A CSV source fills what its
 * export has, so it counts as filling every field.
 */
export function unfilledFields(config: Pick<PulseConfig, 'sources'>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const byEntity = new Map<string, (typeof config.sources)[number][]>();
  for (const source of config.sources)
    for (const entity of sourceEntities(source)) byEntity.set(entity, [...(byEntity.get(entity) ?? []), source]);
  for (const [entity, sources] of byEntity) {
    const lists = sources.map((s) =>
      s.type === 'csv' ? [] : ((connectorFacts[s.type].unfilled as Record<string, readonly string[]>)[entity] ?? []),
    );
    for (const field of lists[0] ?? [])
      if (lists.every((l) => l.includes(field)))
        out.set(
          `${entity}.${field}`,
          sources.map((s) => `${s.type} "${s.name}"`),
        );
  }
  return out;
}

/** The entities a configured source provides. */
export function sourceEntities(source: z.infer<typeof apiSourceSchema> | CsvSourceConfig): readonly string[] {
  if (source.type === 'csv') return [source.entity];
  return source.entities ?? connectorFacts[source.type].entities;
}

export const sourceSchema = z.discriminatedUnion('type', [csvSourceSchema, apiSourceSchema]);
export type SourceConfig = z.infer<typeof sourceSchema>;

const unknownKpi = (id: string) => `unknown KPI id "${id}"${didYouMean(id, kpiIds)}`;
const kpiId = z.string().refine((id) => kpiIds.includes(id), { error: (issue) => unknownKpi(String(issue.input)) });

/** docs/rules.md, "Samples": the usual rule of thumb below which a rate's normal approximation fails. */
export const defaultMinSample = 30;

const slaTarget = z.strictObject({ firstReplyHours: z.number().positive(), resolutionHours: z.number().positive() });

const threshold = z.strictObject({
  target: z.number().optional(),
  warning: z.number().optional(),
  critical: z.number().optional(),
  /** Relative move (0.1 = 10%) beyond which drivers are explained; default 0.05. */
  explainAbove: z.number().min(0).optional(),
});

export const reportKinds = ['executive', 'finance', 'analyst'] as const;
export type ReportKind = (typeof reportKinds)[number];

/** The dimensions a report can be sliced by, and where each is read (functions/stages/slice.ts). */
export const sliceKeys = ['team', 'channel', 'segment'] as const;
export type SliceKey = (typeof sliceKeys)[number];

/**
 * A slice in words, as every report, alert and log names it: `team frontline, channel email`; a
 * report passes its Display's label, so that a code reads as words (`segment Mid-market`).
 */
export function describeSlice(
  slice: { [key: string]: string | undefined },
  label: (value: string) => string = (value) => value,
): string {
  return Object.entries(slice)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key} ${label(value!)}`)
    .join(', ');
}

const audienceSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9_-]+$/i, 'letters, digits, - and _ (it becomes a folder name)'),
    /** executive, finance or analyst; default: the audience's name. */
    report: z.enum(reportKinds).optional(),
    recipients: z.array(z.email()).min(1),
    kpis: z.array(kpiId).optional(),
    /** Computes the report from this slice's records only, e.g. {"team": "frontline"}. */
    slice: z
      .strictObject({
        team: z.string().min(1).optional(),
        channel: z.string().min(1).optional(),
        segment: z.string().min(1).optional(),
      })
      .refine((slice) => Object.keys(slice).length > 0, {
        message: 'names at least one of team, channel, segment',
        when: (payload) => payload.issues.length === 0,
      })
      .optional(),
  })
  .transform((audience, ctx) => {
    const report = audience.report ?? (reportKinds as readonly string[]).find((k) => k === audience.name);
    if (!report) {
      ctx.addIssue({
        code: 'custom',
        path: ['report'],
        message: `required: "${audience.name}" is not a report kind (executive, finance, analyst)`,
      });
      return z.NEVER;
    }
    return { ...audience, report: report as ReportKind };
  });

export type AudienceConfig = z.infer<typeof audienceSchema>;

export const configSchema = z
  .strictObject({
    timezone: timeZone.default('UTC'),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'ISO 4217 code, e.g. USD')
      .default('USD'),
    /** How reports print numbers (4,242 or 4.242): a BCP 47 tag; default: the currency's (functions/kpis/format.ts). */
    locale: z.string().refine(isLocale, 'a locale Intl knows, e.g. en-US, en-GB, de-DE').optional(),
    /** Words for codes in reports, over the built-in ones: {"mid_market": "Mid-market", "frontline": "Front line"}. */
    labels: z.record(z.string().min(1), z.string().trim().min(1).max(60)).default({}),
    lake: z.string().min(1),
    /** The local engine (a folder lake): its memory limit, e.g. "4GB"; default half the machine's memory. */
    duckdb: z
      .strictObject({
        memoryLimit: z
          .string()
          .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'a size DuckDB reads, e.g. 4GB or 512MiB')
          .optional(),
      })
      .prefault({}),
    sources: z.array(sourceSchema).min(1, 'at least one source'),
    definitions: z
      .strictObject({
        complaintCategories: z.array(z.string()).default(['complaint']),
        serviceLevelSeconds: z.number().positive().default(20),
        conversionWindowDays: z.number().int().positive().default(7),
        promisedDeliveryDays: z.number().int().positive().default(5),
        /** A time-bearing source whose freshest record is older than this before the period's end is stale. */
        staleAfterDays: z.number().min(0).default(3),
        /** Withhold a stale report (exit 1) instead of sending it with a banner. */
        withholdStale: z.boolean().default(false),
        /**
         * Rates and scores resting on fewer observations are "small sample": no status colour, no
         * drivers; a driver member below it is pooled as "other" (docs/rules.md, "Samples").
         */
        minSample: z.number().int().min(1).default(defaultMinSample),
        sla: z
          .strictObject({
            urgent: slaTarget.default({ firstReplyHours: 1, resolutionHours: 8 }),
            high: slaTarget.default({ firstReplyHours: 4, resolutionHours: 24 }),
            normal: slaTarget.default({ firstReplyHours: 8, resolutionHours: 48 }),
            low: slaTarget.default({ firstReplyHours: 24, resolutionHours: 72 }),
          })
          .prefault({}),
      })
      .prefault({}),
    targets: z
      .record(z.string(), threshold)
      .superRefine((targets, ctx) => {
        // The keys are KPI ids: checked like audiences' kpis, with the key as the path.
        for (const id of Object.keys(targets))
          if (!kpiId.safeParse(id).success) ctx.addIssue({ code: 'custom', path: [id], message: unknownKpi(id) });
      })
      .default({}),
    benchmarks: z.record(z.string(), z.record(z.string(), z.number())).optional(),
    audiences: z
      .array(audienceSchema)
      .default([{ name: 'executive', report: 'executive', recipients: ['ops@example.com'] }]),
    /** Addresses alerted when a run fails, a report is withheld, or a source is stale. */
    owners: z.array(z.email()).default([]),
    mail: z
      .discriminatedUnion('transport', [
        z.strictObject({ transport: z.literal('outbox'), from: mailFrom.default('pulse@localhost') }),
        z
          .strictObject({
            transport: z.literal('smtp'),
            from: mailFrom,
            host: z.string(),
            port: z.number().int().positive().default(587),
            /** true: TLS from the first byte (port 465); false: STARTTLS whenever the server offers it. */
            secure: z.boolean().optional(),
            user: z.string().optional(),
            password: secretRef.optional(),
            /** true: log in without TLS, for a relay on loopback only; elsewhere the password goes over TLS only. */
            insecure: z.boolean().optional(),
          })
          .superRefine((mail, ctx) => {
            if (mail.insecure && !isLoopback(mail.host))
              ctx.addIssue({
                code: 'custom',
                path: ['insecure'],
                message: `true is for a relay on loopback (127.0.0.1, ::1, localhost) only, and mail.host is "${mail.host}": the password would cross the network in clear`,
              });
          }),
        z.strictObject({
          transport: z.literal('ses'),
          from: mailFrom,
          region: z.string().optional(),
          /** SES configuration set: bounce and complaint events go where it says. */
          configurationSet: z.string().optional(),
        }),
      ])
      .default({ transport: 'outbox', from: 'pulse@localhost' }),
    /** Where an s3:// lake's SQL runs: the Athena workgroup and the Glue database the CDK stack creates. */
    athena: z
      .strictObject({
        workgroup: z.string().min(1).default('pulse'),
        database: z.string().min(1).default('pulse'),
        /** Query results location, when the workgroup does not enforce its own. */
        outputLocation: z
          .string()
          .regex(/^s3:\/\//, 'an s3:// URI')
          .optional(),
        region: z.string().optional(),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    const audienceNames = new Set<string>();
    config.audiences.forEach((a, i) => {
      if (audienceNames.has(a.name))
        ctx.addIssue({
          code: 'custom',
          path: ['audiences', i, 'name'],
          message: `duplicate audience name "${a.name}"`,
        });
      audienceNames.add(a.name);
    });
    const names = new Set<string>();
    config.sources.forEach((s, i) => {
      if (names.has(s.name))
        ctx.addIssue({ code: 'custom', path: ['sources', i, 'name'], message: `duplicate source name "${s.name}"` });
      names.add(s.name);
    });
    // A full export removes its source's records: curate must tell them from another source's.
    config.sources.forEach((s, i) => {
      if (s.type !== 'csv' || s.mode !== 'full' || entityByName(s.entity)?.columns.some((c) => c.name === 'source'))
        return;
      const others = config.sources.filter((o) => o !== s && sourceEntities(o).includes(s.entity));
      if (others.length > 0)
        ctx.addIssue({
          code: 'custom',
          path: ['sources', i, 'mode'],
          message: `"full" needs ${s.name} to be the only source of ${s.entity} (its records carry no source), and ${others.map((o) => o.name).join(', ')} also fill it`,
        });
    });
  });

export type PulseConfig = z.infer<typeof configSchema>;

/** Every secret reference in a config with the key that holds it, for check-config to resolve each. */
export function secretReferences(config: PulseConfig): { key: string; ref: string }[] {
  const refs = config.sources.flatMap((source, i) =>
    source.type === 'csv'
      ? []
      : Object.entries(source.credentials).map(([name, ref]) => ({ key: `sources[${i}].credentials.${name}`, ref })),
  );
  if (config.mail.transport === 'smtp' && config.mail.password)
    refs.push({ key: 'mail.password', ref: config.mail.password });
  return refs;
}
