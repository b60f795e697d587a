import path from 'node:path';

/**
 * A path as the user should read it (docs/design.md, "What users touch"): relative to where they stand
 * when it lies inside that folder and is shorter so, else absolute. Never relative to the config.
 */
export function displayPath(absolute: string, cwd = process.cwd()): string {
  const relative = path.relative(cwd, absolute);
  if (relative === '') return '.';
  const inside = !relative.startsWith('..') && !path.isAbsolute(relative);
  return inside && relative.length < absolute.length ? relative : absolute;
}

/** A log line with every absolute path under `folder` (the lake) shown as displayPath shows it. */
export function displayPathsUnder(message: string, folder: string, cwd = process.cwd()): string {
  const shown = displayPath(folder, cwd);
  if (shown === folder) return message;
  return message.replaceAll(`${folder}${path.sep}`, shown === '.' ? '' : `${shown}${path.sep}`);
}
