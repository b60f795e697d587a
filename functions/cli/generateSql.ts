import { writeFile } from 'node:fs/promises';
import { stagingSql } from '../dialect/staging.ts';
import { sqlRoot } from '../dialect/sqlText.ts';
import { entities } from '../model/index.ts';

/** Writes sql/staging/stg_<entity>.sql from the canonical model (`npm run sql:generate`). */
for (const entity of entities) {
  await writeFile(new URL(`staging/stg_${entity.name}.sql`, sqlRoot), stagingSql(entity));
}
console.log(`wrote ${entities.length} staging files`);
