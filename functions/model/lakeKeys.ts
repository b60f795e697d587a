import { createHash } from 'node:crypto';

/**
 * Every key of the lake, in one pure module that stages, adapters and the CDK stack all import:
 * the same keys in S3 and in a local folder (docs/design.md, "Storage layout"). Raw parts and rejects
 * are laid out per entity first, so one table per entity reads every source's parts.
 */
const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** The audience alerts to the owners are sent as: the outbox keeps them under outbox/<period>/_owners/. */
export const ownersAudience = '_owners';

/** Glue tables the Athena engine materialises for a stage start so (its role may create and drop only these). */
export const scratchTablePrefix = 'pulse_scratch_';

/** Where the local engine spills what does not fit its memory limit: never read as lake data. */
export const spillPrefix = '_scratch/spill';

/** Where the local engine writes its work tables (Parquet read back through views): never read as lake data. */
export const workPrefix = '_scratch/work';

/**
 * Where the local engine writes Parquet before it moves each month into place (DuckDbEngine's
 * writeParquet; docs/design.md, "Commits"): never read as lake data, and swept by the next write.
 */
export const writesPrefix = '_scratch/writes/';

export const lakeKeys = {
  /** raw/<entity>/source=<source>/ingest_date=YYYY-MM-DD/ */
  rawPrefix: (entity: string, source: string, ingestDate: string) =>
    `raw/${entity}/source=${source}/ingest_date=${ingestDate}/`,
  rawEntityPrefix: (entity: string) => `raw/${entity}/`,
  rawPart: (entity: string, source: string, ingestDate: string, batch: string, part: number, extension = 'ndjson.gz') =>
    `${lakeKeys.rawPrefix(entity, source, ingestDate)}${batch}-${pad(part, 4)}.${extension}`,
  /** rejects/<entity>/source=<source>/ingest_date=YYYY-MM-DD/<run>.ndjson.gz */
  rejects: (entity: string, source: string, ingestDate: string, batch: string, part: number) =>
    `rejects/${entity}/source=${source}/ingest_date=${ingestDate}/${batch}${part ? `-${part}` : ''}.ndjson.gz`,
  /**
   * rejects/<entity>/source=<source>/ingest_date=YYYY-MM-DD/<run>.csv: the same rejects as a
   * spreadsheet people open; a later part (-1, -2) starts where the columns of the export change.
   */
  rejectsCsv: (entity: string, source: string, ingestDate: string, batch: string, part = 0) =>
    `rejects/${entity}/source=${source}/ingest_date=${ingestDate}/${batch}${part ? `-${part}` : ''}.csv`,
  /** The source a raw or rejects key belongs to (source=<name>), or undefined. */
  sourceOf: (key: string) => /\/source=([^/]+)\//.exec(key)?.[1],
  /**
   * The run holding the lake (docs/design.md, "One run per lake"): a lock file in a folder, a lease
   * object on S3, which every stage Lambda's role may read, put and delete.
   */
  lock: '_lock.json',
  /** The deployed config: the stack uploads it, the Lambdas read it (PULSE_CONFIG_KEY). */
  config: 'config/pulse.config.json',
  /** state/<source>/<entity>.json: a source's watermark and counts. */
  sourceState: (source: string, entity: string) => `state/${source}/${entity}.json`,
  /** Curate's own bookkeeping: `_curate` cannot be a source name (those start with a letter or digit). */
  curateState: (entity: string) => `state/_curate/${entity}.json`,
  curated: (entity: string) => `curated/${entity}/`,
  /** state/_marts/pending.json: the earliest month curate changed since the marts were last built (or all). */
  martsPending: 'state/_marts/pending.json',
  /** state/_marts/built.json: what the marts were last built from (a fingerprint) and for which months. */
  martsBuilt: 'state/_marts/built.json',
  /** state/_marts/progress.json: the marts and months a build stopped for time had written (stages/marts.ts). */
  martsProgress: 'state/_marts/progress.json',
  /**
   * curated/_staging/<entity>/<fold>/: a fold's rows, staged before they replace months of
   * curated/<entity>/ (stages/curate.ts); deleted once the fold is done. No Glue table reads it
   * (each reads curated/<entity>/, and `_staging` is no entity's name).
   */
  curateStaging: (entity: string, fold?: string) => `curated/_staging/${entity}/${fold ? `${fold}/` : ''}`,
  mart: (mart: string) => `marts/${mart}/`,
  /**
   * _manifests/<table prefix>: an S3 lake's manifests of a curated entity or a mart
   * (docs/design.md, "Commits"). The Glue table reads only the files they name; a folder lake has none.
   */
  manifests: (table: string) => `_manifests/${table}`,
  /** _manifests/<table prefix>[month=YYYY-MM/]manifest: the s3:// URIs of the month's committed files, one a line. */
  manifest: (table: string, month?: string) => `_manifests/${table}${month ? `month=${month}/` : ''}manifest`,
  /** <table prefix>w=<write>/: where one Athena write of a table puts its Parquet, named by no manifest until committed. */
  tableWrite: (table: string, write: string) => `${table}w=${write}/`,
  report: (period: string) => `reports/${period}/kpis.json`,
  queries: (period: string) => `reports/${period}/queries.json`,
  /** What evaluate's outputs for the period were computed from (functions/stages/inputsFingerprint.ts). */
  evaluateInputs: (period: string) => `reports/${period}/_inputs.json`,
  audience: (period: string, audience: string) => `reports/${period}/${audience}`,
  audienceReport: (period: string, audience: string) => `reports/${period}/${audience}/kpis.json`,
  /** What a finance audience's report reads besides kpis.json: evaluate writes it, render reads it. */
  financeInputs: (period: string, audience: string) => `reports/${period}/${audience}/finance-inputs.json`,
  /** What an analyst audience's report reads besides kpis.json: the lake's inventory and the queries evaluate ran. */
  analystInputs: (period: string, audience: string) => `reports/${period}/${audience}/analyst-inputs.json`,
  message: (period: string, audience: string) => `reports/${period}/${audience}/message.eml`,
  /** What render's outputs for an audience were computed from (functions/stages/inputsFingerprint.ts). */
  renderInputs: (period: string, audience: string) => `reports/${period}/${audience}/_inputs.json`,
  withheld: (period: string, audience: string) => `reports/${period}/${audience}/withheld.json`,
  /** ledger/<period>/<audience>/<recipient-hash>.json: claimed (pending) by a conditional put, then sent. */
  ledger: (period: string, audience: string, recipient: string) =>
    `ledger/${period}/${audience}/${createHash('sha256').update(recipient.toLowerCase()).digest('hex').slice(0, 32)}.json`,
  outbox: (period: string, audience: string, recipient: string, variant?: string) =>
    `outbox/${period}/${audience}/${recipient.replace(/[^a-z0-9@._-]/gi, '_')}${variant ? `-${variant}` : ''}.eml`,
};
