import { mkdir, writeFile } from 'node:fs/promises';
import { stagingSql } from '../dialect/staging.ts';
import { sqlRoot } from '../dialect/sqlText.ts';
import { kpiDocsMarkdown } from '../kpis/docs.ts';
import { dataDictionaryMarkdown } from '../model/dictionary.ts';
import { entities } from '../model/index.ts';

/**
 * `npm run generate:files`: writes what is derived from the model and the catalog —
 * sql/staging/stg_<entity>.sql, docs/data-dictionary.md, docs/kpis.md. A test keeps them in step.
 */
for (const entity of entities) {
  await writeFile(new URL(`staging/stg_${entity.name}.sql`, sqlRoot), stagingSql(entity));
}
const docs = new URL('../../docs/', import.meta.url);
await mkdir(docs, { recursive: true });
await writeFile(new URL('data-dictionary.md', docs), dataDictionaryMarkdown());
await writeFile(new URL('kpis.md', docs), kpiDocsMarkdown());
console.log(`wrote ${entities.length} staging files, docs/data-dictionary.md, docs/kpis.md`);
