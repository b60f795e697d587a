import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { kpiIds } from '../kpis/catalog.ts';
import { ConfigError } from '../errors.ts';
import { configSchema, type PulseConfig } from './schema.ts';

export interface LoadedConfig {
  config: PulseConfig;
  /** Absolute path of the file, and the folder relative paths resolve from. */
  file: string;
  baseDir: string;
}

function formatPath(issuePath: readonly PropertyKey[]): string {
  return issuePath.reduce<string>(
    (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)),
    '',
  );
}

/** Every problem as `file: key: message`, the way a user finds it in their file. */
export function describeIssues(file: string, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${file}: ${formatPath(issue.path) || '(root)'}: ${issue.message}`);
}

export function parseConfig(raw: unknown, file: string): LoadedConfig {
  const result = configSchema.safeParse(raw);
  const label = path.basename(file);
  if (!result.success) throw new ConfigError(describeIssues(label, result.error.issues));
  const config = result.data;
  const unknownKpis = [
    ...Object.keys(config.targets).map((id) => ({ id, key: `targets.${id}` })),
    ...config.audiences.flatMap((a, i) => (a.kpis ?? []).map((id, j) => ({ id, key: `audiences[${i}].kpis[${j}]` }))),
  ].filter(({ id }) => !kpiIds.includes(id));
  if (unknownKpis.length > 0) {
    throw new ConfigError(unknownKpis.map(({ id, key }) => `${label}: ${key}: unknown KPI id "${id}"`));
  }
  const baseDir = path.dirname(path.resolve(file));
  return { config, file: path.resolve(file), baseDir };
}

export async function loadConfig(file: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ConfigError([`${file}: cannot be read (${(cause as Error).message})`], { cause });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError([`${path.basename(file)}: is not valid JSON (${(cause as Error).message})`], { cause });
  }
  return parseConfig(raw, file);
}

/** The lake location: `s3://…` stays as is, a folder resolves from the config's folder. */
export function resolveLake(loaded: LoadedConfig): string {
  const lake = loaded.config.lake;
  return lake.startsWith('s3://') ? lake : path.resolve(loaded.baseDir, lake);
}
