import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { displayPath, displayPathsUnder } from '../../functions/cli/displayPath.ts';

describe('paths the CLI prints, from where the user stands', () => {
  const cwd = path.resolve('/home/ana/acme');

  it('is relative inside the working folder, absolute outside it', () => {
    expect(displayPath(path.join(cwd, 'lake', 'reports', '2026-10'), cwd)).toBe(
      path.join('lake', 'reports', '2026-10'),
    );
    expect(displayPath(cwd, cwd)).toBe('.');
    expect(displayPath(path.resolve('/srv/lake/reports'), cwd)).toBe(path.resolve('/srv/lake/reports'));
  });

  it('shows the lake paths of a log line the same way', () => {
    const lake = path.join(cwd, 'lake');
    const key = path.join(lake, 'rejects', 'tickets', 'run.csv');
    expect(displayPathsUnder(`rejects in ${key} (bad_date 2)`, lake, cwd)).toBe(
      `rejects in ${path.join('lake', 'rejects', 'tickets', 'run.csv')} (bad_date 2)`,
    );
    expect(displayPathsUnder(`rejects in ${key}`, cwd, cwd)).toBe(
      `rejects in ${path.join('lake', 'rejects', 'tickets', 'run.csv')}`,
    );
    expect(displayPathsUnder('nothing here', path.resolve('/srv/lake'), cwd)).toBe('nothing here');
  });
});
