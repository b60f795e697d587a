import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { configSchema, type PulseConfig } from './schema.ts';
import { didYouMean } from './suggest.ts';

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

/** The keys an object schema knows: what an unknown key is compared with for "did you mean". */
function knownKeys(inst: unknown): string[] {
  const shape = (inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
  return shape ? Object.keys(shape) : [];
}

/**
 * Zod's messages, in the words of STYLE: a missing key is "required", an extra one "unknown key",
 * with the known key it is most likely a typo of.
 */
const issueWords: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'required';
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(issue.inst);
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"${didYouMean(k, known)}`).join(', ')}`;
  }
  return undefined;
};

export function parseConfig(raw: unknown, file: string): LoadedConfig {
  const result = configSchema.safeParse(raw, { error: issueWords });
  const label = path.basename(file);
  if (!result.success) throw new ConfigError(describeIssues(label, result.error.issues));
  const baseDir = path.dirname(path.resolve(file));
  return { config: result.data, file: path.resolve(file), baseDir };
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
