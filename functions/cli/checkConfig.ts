import path from 'node:path';
import type { z } from 'zod';
import { loadConfig, resolveLake, type LoadedConfig } from '../config/load.ts';
import type { CsvSourceConfig } from '../config/schema.ts';
import { SecretError, SourceError } from '../errors.ts';
import { entityByName, type Entity } from '../model/index.ts';
import type { LandedPart, RejectedRow, SourceRow } from '../ports/source.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { DuckDbEngine } from '../adapters/local/duckdbEngine.ts';
import { FolderStore } from '../adapters/local/folderStore.ts';
import type { CsvPreview, CsvSource } from '../sources/csv.ts';
import { validatedRows, validateLanded } from '../stages/curate.ts';
import { cellsLine } from '../stages/extract.ts';
import { displayPath } from './displayPath.ts';
import { csvSourceFor } from './wiring.ts';
import { csvEncodings, describeSlice, secretReferences, sourceEntities } from '../config/schema.ts';
import { EnvSecrets } from '../adapters/local/envSecrets.ts';
import { sdkFacts } from '../adapters/aws/sdkErrors.ts';

/** Rows shown as canonical records, rows read for the rejects, and the width a value is cut to. */
const shownRows = 5;
const sampledRows = 100;
const valueWidth = 40;

export interface ConfigCheck {
  /** The screen: what the config does, and what each source's files look like through it. */
  text: string;
  /** Each problem names the config file, the key and the fix; any problem makes the exit 2. */
  problems: string[];
}

const sizeOf = (bytes: number) =>
  bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 ** 2
      ? `${(bytes / 1024).toFixed(1)} KB`
      : `${(bytes / 1024 ** 2).toFixed(1)} MB`;

function cut(text: string): string {
  const flat = text.replace(/\r?\n/g, '⏎');
  return flat.length > valueWidth ? `${flat.slice(0, valueWidth - 1)}…` : flat;
}

function shown(value: unknown): string {
  if (value === null || value === undefined) return '(empty)';
  return cut(value instanceof Date ? value.toISOString() : String(value));
}

const lakeShown = (lake: string) => (lake.startsWith('s3://') ? lake : displayPath(lake));

const normalised = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/** The header's column a user most likely meant: same letters and digits, else one inside the other. */
function closest(header: string[], ...wanted: string[]): string | undefined {
  const targets = wanted.map(normalised).filter((t) => t.length > 0);
  return (
    header.find((h) => targets.includes(normalised(h))) ??
    header.find(
      (h) =>
        normalised(h).length >= 3 &&
        targets.some((t) => t.length >= 3 && (normalised(h).includes(t) || t.includes(normalised(h)))),
    )
  );
}

/** As the reader decides it (functions/sources/csv.ts, bindHeader): required, no default, not filled in by Pulse. */
function needsColumn(entity: Entity, field: string): boolean {
  const column = entity.columns.find((c) => c.name === field);
  const schema = entity.schema.shape[field] as z.ZodType | undefined;
  return Boolean(column?.required) && !(schema?.safeParse(undefined).success ?? false) && field !== 'source';
}

interface Binding {
  field: string;
  column: string;
  found: boolean;
  mapped: boolean;
}

function bindings(entity: Entity, source: CsvSourceConfig, header: string[]): Binding[] {
  const trimmed = header.map((h) => h.trim());
  return entity.columns.map(({ name }) => {
    const column = source.columns[name] ?? name;
    return { field: name, column, found: trimmed.includes(column), mapped: name in source.columns };
  });
}

/** Problems of one file's header against the mapping, each with the key to change and how. */
function headerProblems(
  where: string,
  entity: Entity,
  source: CsvSourceConfig,
  file: string,
  header: string[],
): string[] {
  const problems: string[] = [];
  const columns = header.map((h) => h.trim());
  const some =
    columns
      .slice(0, 8)
      .map((c) => `"${c}"`)
      .join(', ') + (columns.length > 8 ? ', …' : '');
  for (const b of bindings(entity, source, header)) {
    if (b.found) continue;
    const guess = closest(columns, b.column, b.field);
    const fix = guess ? `set it to "${guess}"` : `set it to one of the file's columns (${some})`;
    if (b.mapped)
      problems.push(`${where}.columns.${b.field}: column "${b.column}" is not in the header of ${file}: ${fix}`);
    else if (needsColumn(entity, b.field)) {
      const hint = guess
        ? `map it, e.g. "columns": {"${b.field}": "${guess}"}`
        : `map it to the file's column that holds it (${some})`;
      problems.push(`${where}.columns.${b.field}: required, and ${file} has no column "${b.field}": ${hint}`);
    }
  }
  return problems;
}

function mappingLines(entity: Entity, source: CsvSourceConfig, file: string, header: string[]): string[] {
  const all = bindings(entity, source, header);
  const width = Math.max(...all.map((b) => b.field.length));
  const lines = [`  mapping (header of ${file}, ${header.length} columns):`];
  for (const b of all) {
    if (b.found) lines.push(`    ${b.field.padEnd(width)} ← ${b.column}`);
    else if (b.mapped) lines.push(`    ${b.field.padEnd(width)} ← ${b.column}   ✗ not in the header`);
    else if (needsColumn(entity, b.field)) lines.push(`    ${b.field.padEnd(width)}     ✗ required, no column`);
  }
  const unmappedFields = all.filter((b) => !b.found && !b.mapped && !needsColumn(entity, b.field)).map((b) => b.field);
  if (unmappedFields.length > 0) lines.push(`    not mapped (left empty or defaulted): ${unmappedFields.join(', ')}`);
  const used = new Set(all.filter((b) => b.found).map((b) => b.column));
  const unused = header.map((h) => h.trim()).filter((h) => !used.has(h));
  if (unused.length > 0) lines.push(`    columns not read: ${unused.join(', ')}`);
  return lines;
}

function recordLines(entity: Entity, header: string[], source: CsvSourceConfig, row: SourceRow): string[] {
  const at = `${row.location.file} line ${row.location.line}`;
  if (!row.ok)
    return [
      `    row ${row.location.row} (${at}): rejected, ${row.reason}${row.field ? ` (${row.field})` : ''}: ${row.message}`,
    ];
  const bound = new Set(
    bindings(entity, source, header)
      .filter((b) => b.found)
      .map((b) => b.field),
  );
  const fields = entity.columns
    .map((c) => c.name)
    .filter((f) => bound.has(f) || (row.record[f] !== null && row.record[f] !== undefined));
  const width = Math.max(...fields.map((f) => f.length + 1));
  // A field issue keeps the row: the field took its default or null, and says why beside it.
  const issues = new Map((row.issues ?? []).map((i) => [i.field, i.reason]));
  const flag = (f: string) => (issues.has(f) ? `   ✗ field issue: ${issues.get(f)}` : '');
  return [
    `    row ${row.location.row} (${at}):`,
    ...fields.map((f) => `      ${`${f}:`.padEnd(width)} ${shown(row.record[f])}${flag(f)}`),
  ];
}

function rejectLines(rows: SourceRow[]): string[] {
  const rejected = rows.filter((r): r is RejectedRow => !r.ok);
  const scope = rows.length < sampledRows ? `all ${rows.length} rows` : `the first ${rows.length} rows`;
  const issues = new Map<string, number>();
  for (const r of rows)
    if (r.ok)
      for (const i of r.issues ?? [])
        issues.set(`${i.field} ${i.reason}`, (issues.get(`${i.field} ${i.reason}`) ?? 0) + 1);
  const issueLine =
    issues.size === 0
      ? []
      : [
          `  field issues in ${scope} (row kept, field defaulted or empty): ${[...issues.entries()].map(([k, n]) => `${k} ${n}`).join(', ')}`,
        ];
  if (rejected.length === 0) return [`  rejects in ${scope}: none`, ...issueLine];
  const byReason = new Map<string, RejectedRow[]>();
  for (const r of rejected) byReason.set(r.reason, [...(byReason.get(r.reason) ?? []), r]);
  return [
    `  rejects in ${scope}: ${rejected.length}`,
    ...[...byReason.entries()]
      .sort(([, a], [, b]) => b.length - a.length)
      .map(([reason, list]) => `    ${reason} ${list.length}, e.g. ${list[0]!.message}`),
    ...issueLine,
  ];
}

/** A sample row's own cell for a canonical field, as the export wrote it (before the mapping's values). */
function rawCell(sample: NonNullable<CsvPreview['sample']>, row: number, field: string | null): string | undefined {
  const index = field === null ? undefined : sample.layout.columns[field];
  if (index === undefined) return undefined;
  return sample.rows.find((r) => r.row === row)?.cells?.[index];
}

/**
 * How to fix a field most rows fail on, by the reason they fail (docs/design.md, "Bad input"): the
 * source key that reads the export's notation, with the cells seen as the example.
 */
function fixFor(entity: Entity, field: string | null, reason: string, cells: string[]): { key: string; fix: string } {
  const seen = cells.map((c) => `"${cut(c)}"`).join(', ');
  switch (reason) {
    case 'bad_timestamp':
    case 'bad_date':
      return {
        key: 'dateFormat',
        fix: `set "dateFormat" to the export's notation in Luxon tokens (e.g. "dd.MM.yyyy HH:mm" for 31.10.2026 14:05)${seen ? `; the file has ${seen}` : ''}`,
      };
    case 'bad_number':
      return {
        key: 'decimal',
        fix: `set "decimal" to the export's decimal separator ("decimal": "," for 1.234,56)${seen ? `; the file has ${seen}` : ''}`,
      };
    case 'bad_encoding':
      return {
        key: 'encoding',
        fix: `set "encoding" to the export's (one of ${csvEncodings.join(', ')}; an Excel export in Western Europe is often windows-1252)`,
      };
    case 'unknown_value': {
      const allowed = entity.columns.find((c) => c.name === field)?.values ?? [];
      const example = cells[0] ?? 'the export value';
      return {
        key: `values.${field}`,
        fix:
          `add a "values" entry for each export value, e.g. "values": {"${field}": {"${example}": "${allowed[0] ?? '…'}"}}` +
          `${allowed.length ? ` (canonical values: ${allowed.join(', ')})` : ''}${seen ? `; the file has ${seen}` : ''}`,
      };
    }
    default:
      return { key: field === null ? '' : `columns.${field}`, fix: 'check the column the field is mapped to' };
  }
}

/**
 * The field and reason most of the sample fails on, if one does: rejected rows and field issues
 * alike, since a field set aside on most rows is as wrong a mapping as a rejected row.
 */
function mostlyFailing(
  where: string,
  entity: Entity,
  sample: NonNullable<CsvPreview['sample']>,
  rows: SourceRow[],
): string | undefined {
  const failing = new Map<string, { field: string | null; reason: string; rows: number[] }>();
  const count = (field: string | null, reason: string, row: number) => {
    const key = `${field ?? ''} ${reason}`;
    const entry = failing.get(key) ?? { field, reason, rows: [] };
    entry.rows.push(row);
    failing.set(key, entry);
  };
  for (const r of rows) {
    if (!r.ok) count(r.field, r.reason, r.location.row);
    else for (const i of r.issues ?? []) count(i.field, i.reason, r.location.row);
  }
  const worst = [...failing.values()].sort((a, b) => b.rows.length - a.rows.length)[0];
  if (!worst || worst.rows.length * 2 <= rows.length) return undefined;
  const cells = [
    ...new Set(worst.rows.map((n) => rawCell(sample, n, worst.field)).filter((c): c is string => Boolean(c))),
  ].slice(0, 3);
  const { key, fix } = fixFor(entity, worst.field, worst.reason, cells);
  const what = worst.rows.length === rows.length ? `all ${rows.length}` : `${worst.rows.length} of ${rows.length}`;
  const field = worst.field === null ? '' : ` in ${worst.field}`;
  return `${where}${key ? `.${key}` : ''}: ${what} sample rows fail as ${worst.reason}${field}: ${fix}`;
}

/**
 * The sample's rows through the very SQL curate runs (docs/design.md, "Bad input"), in a DuckDB of
 * its own over a scratch folder: the lake is not touched.
 */
async function validateSample(
  loaded: LoadedConfig,
  reader: CsvSource,
  entity: Entity,
  sample: NonNullable<CsvPreview['sample']>,
): Promise<SourceRow[]> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'pulse-check-'));
  const store = new FolderStore(scratch);
  const engine = await DuckDbEngine.open(store, { threads: 1, workDirectory: scratch });
  try {
    const part: LandedPart = {
      key: 'sample/cells.ndjson',
      format: 'cells',
      unit: sample.file,
      name: sample.file,
      landing: 'check-config',
      layout: sample.layout,
    };
    await store.put(part.key, sample.rows.map((r) => JSON.stringify(cellsLine(r))).join('\n'));
    await validateLanded(engine, loaded.config, entity, reader, part, 'sample');
    return await validatedRows(engine, 'sample', entity);
  } finally {
    await engine.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** One CSV source opened: its files, header against mapping, first records and rejects. */
async function checkCsvSource(
  loaded: LoadedConfig,
  index: number,
  source: CsvSourceConfig,
): Promise<{ lines: string[]; problems: string[] }> {
  const label = path.basename(loaded.file);
  const where = `${label}: sources[${index}]`;
  const entity = entityByName(source.entity)!;
  const reader = csvSourceFor(loaded, source);
  let preview: CsvPreview;
  try {
    preview = await reader.preview(sampledRows);
  } catch (error) {
    if (!(error instanceof SourceError)) throw error;
    // files() names the source and its pattern: here it also gets the key to fix.
    const message = error.message.replace(/^sources "[^"]*": /, '');
    return { lines: [`  ✗ ${message}`], problems: [`${where}.path (source "${source.name}"): ${message}`] };
  }
  const lines = [
    `  files (${preview.files.length}): ${preview.files.map((f) => `${f.file} (${sizeOf(f.size)})`).join(', ')}`,
  ];
  const problems: string[] = [];
  for (const f of preview.files)
    if (f.header) problems.push(...headerProblems(`${where}`, entity, source, f.file, f.header));
  const first = preview.files.find((f) => f.header);
  if (first?.header) lines.push(...mappingLines(entity, source, first.file, first.header));
  // The reader's own complaint about a header is the one already explained above.
  if (preview.error && problems.length === 0) problems.push(`${where} (source "${source.name}"): ${preview.error}`);
  const rows =
    preview.sample && problems.length === 0 ? await validateSample(loaded, reader, entity, preview.sample) : [];
  if (rows.length > 0 && preview.sample) {
    lines.push(`  first ${Math.min(shownRows, rows.length)} rows as canonical records:`);
    for (const row of rows.slice(0, shownRows))
      lines.push(...recordLines(entity, preview.sample.layout.header, source, row));
    lines.push(...rejectLines(rows));
    const failing = mostlyFailing(where, entity, preview.sample, rows);
    if (failing) problems.push(failing);
  }
  lines.push(...problems.map((p) => `  ✗ ${p}`));
  return { lines, problems };
}

/** The region a Secrets Manager ARN names (arn:aws:secretsmanager:<region>:…). */
const arnRegion = (ref: string) => ref.split(':')[3] || undefined;

/**
 * Resolves every secret reference the config names, as a run would (docs/design.md: secrets are references, never literals):
 * `env:` from this machine's environment; a Secrets Manager ARN through AWS when this machine has
 * credentials, else said to be unchecked. A reference that cannot be resolved is a problem, and
 * the value is never shown.
 */
async function checkSecrets(loaded: LoadedConfig): Promise<{ lines: string[]; problems: string[] }> {
  const refs = secretReferences(loaded.config);
  const label = path.basename(loaded.file);
  const env = new EnvSecrets();
  const lines: string[] = [];
  const problems: string[] = [];
  for (const { key, ref } of refs) {
    try {
      if (ref.startsWith('arn:')) {
        // The AWS SDK loads only for a config that names an ARN.
        const { SecretsManagerSecrets } = await import('../adapters/aws/secretsManager.ts');
        const region = arnRegion(ref);
        await new SecretsManagerSecrets(region ? { region } : {}).resolve(ref);
      } else await env.resolve(ref);
      lines.push(`  ${key} (${ref}): resolved`);
    } catch (error) {
      if (!(error instanceof SecretError)) throw error;
      if (sdkFacts(error.cause).noCredentials) {
        lines.push(`  ${key} (${ref}): not checked, no AWS credentials on this machine (resolved in AWS)`);
        continue;
      }
      lines.push(`  ${key} (${ref}): ✗ ${error.message}`);
      problems.push(`${label}: ${key}: ${error.message}`);
    }
  }
  return { lines: lines.length > 0 ? ['Secrets:', ...lines] : [], problems };
}

/**
 * pulse check-config: validates the config, then opens every CSV source the way a run would and
 * shows what it would read (docs/design.md, "What users touch"), writing nothing to the lake. This is
 * the screen where a mapping is got right: any source that would fail is a problem here.
 */
export async function checkConfig(file: string): Promise<ConfigCheck> {
  const loaded = await loadConfig(file);
  const c = loaded.config;
  const sections: string[] = [];
  const problems: string[] = [];
  for (const [i, s] of c.sources.entries()) {
    sections.push(
      `Source ${s.name}: ${s.type} → ${sourceEntities(s).join(', ')}${s.type === 'csv' ? ` from ${s.path}` : ''}`,
    );
    if (s.type !== 'csv') {
      sections.push('  not opened (API source)');
      continue;
    }
    const checked = await checkCsvSource(loaded, i, s);
    sections.push(...checked.lines);
    problems.push(...checked.problems);
  }
  const secrets = await checkSecrets(loaded);
  sections.push(...secrets.lines);
  problems.push(...secrets.problems);
  const text = [
    problems.length === 0
      ? `${displayPath(loaded.file)}: valid.`
      : `${displayPath(loaded.file)}: ${problems.length} problem${problems.length === 1 ? '' : 's'} opening the sources and secrets.`,
    `Lake: ${lakeShown(resolveLake(loaded))}; time zone ${c.timezone}; currency ${c.currency}.`,
    ...sections,
    ...c.audiences.map(
      (a) =>
        `Audience ${a.name}: the ${a.report} report to ${a.recipients.length} recipient(s)${a.slice ? `, computed from ${describeSlice(a.slice)} only` : ''}${a.kpis ? `, KPIs ${a.kpis.join(', ')}` : ''}`,
    ),
    `Owners (alerted on a failure, a withheld report or stale data): ${c.owners.length ? c.owners.join(', ') : 'none'}.`,
    `Stale after ${c.definitions.staleAfterDays} days without a record before the period's end: ${c.definitions.withholdStale ? 'the report is withheld' : 'the report carries a banner'}.`,
    `Mail: ${c.mail.transport} from ${c.mail.from}.`,
    '',
  ].join('\n');
  return { text, problems };
}
