import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { kpiCatalog } from '../../functions/kpis/catalog.ts';
import { kpiDocsMarkdown } from '../../functions/kpis/docs.ts';
import { dataDictionaryMarkdown } from '../../functions/model/dictionary.ts';
import { entities } from '../../functions/model/index.ts';
import { sqlFiles } from '../../functions/dialect/sqlFiles.generated.ts';

const root = path.resolve(import.meta.dirname, '../..');

describe('files derived from the model and the catalog (npm run generate:files)', () => {
  it('docs/data-dictionary.md is the model', () => {
    const page = readFileSync(path.join(root, 'docs/data-dictionary.md'), 'utf8');
    expect(page).toBe(dataDictionaryMarkdown());
    for (const e of entities) for (const c of e.columns) expect(page).toContain(`| \`${c.name}\` | ${c.sqlType} |`);
  });

  it('docs/kpis.md is the catalog, one row per KPI', () => {
    const page = readFileSync(path.join(root, 'docs/kpis.md'), 'utf8');
    expect(page).toBe(kpiDocsMarkdown());
    for (const d of kpiCatalog) expect(page).toContain(`| \`${d.id}\` | ${d.label} |`);
  });

  it('every catalog id is unique and every input is a canonical entity', () => {
    const ids = kpiCatalog.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    const names = entities.map((e) => e.name) as string[];
    for (const d of kpiCatalog) for (const input of [...d.inputs, ...(d.anyOf ?? [])]) expect(names).toContain(input);
  });

  it('functions/dialect/sqlFiles.generated.ts is sql/, file for file, so a bundle carries the same text', () => {
    const onDisk = (readdirSync(path.join(root, 'sql'), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.sql'))
      .map((f) => f.split(path.sep).join('/'))
      .sort();
    expect(Object.keys(sqlFiles).sort()).toEqual(onDisk);
    for (const name of onDisk) expect(sqlFiles[name], name).toBe(readFileSync(path.join(root, 'sql', name), 'utf8'));
  });
});
