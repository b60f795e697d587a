import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { sqlModuleText } from '../dialect/sqlBundle.ts';
import { stagingSql } from '../dialect/staging.ts';
import { kpiDocsMarkdown } from '../kpis/docs.ts';
import { dataDictionaryMarkdown } from '../model/dictionary.ts';
import { entities } from '../model/index.ts';

/**
 * `npm run generate:files`: writes what is derived from the model and the catalog —
 * sql/staging/stg_<entity>.sql, docs/data-dictionary.md, docs/kpis.md, and every file of sql/ as
 * functions/dialect/sqlFiles.generated.ts. A test keeps them in step.
 */
const sqlRoot = new URL('../../sql/', import.meta.url);
for (const entity of entities) {
  await writeFile(new URL(`staging/stg_${entity.name}.sql`, sqlRoot), stagingSql(entity));
}
const sqlFiles: Record<string, string> = {};
for (const name of (await readdir(sqlRoot, { recursive: true })).filter((f) => f.endsWith('.sql')).sort()) {
  sqlFiles[name.split('\\').join('/')] = await readFile(new URL(name, sqlRoot), 'utf8');
}
await writeFile(new URL('../dialect/sqlFiles.generated.ts', import.meta.url), sqlModuleText(sqlFiles));
const docs = new URL('../../docs/', import.meta.url);
await mkdir(docs, { recursive: true });
await writeFile(new URL('data-dictionary.md', docs), dataDictionaryMarkdown());
await writeFile(new URL('kpis.md', docs), kpiDocsMarkdown());
console.log(
  `wrote ${entities.length} staging files, functions/dialect/sqlFiles.generated.ts (${Object.keys(sqlFiles).length} files), docs/data-dictionary.md, docs/kpis.md`,
);
