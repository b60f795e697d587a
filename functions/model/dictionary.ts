import { entities } from './index.ts';
import { martTables } from './marts.ts';

/** docs/data-dictionary.md, generated from the zod entities so it cannot drift from the code. */
export function dataDictionaryMarkdown(): string {
  const lines = [
    '# Data dictionary',
    '',
    'Generated from `functions/model` by `npm run generate:files`; edit the entities, not this page.',
    'Every table is in the Glue database `pulse` (Athena) and is a DuckDB view locally. Timestamps are',
    'UTC; `month` is the business-time-zone month the record belongs to (the Parquet partition).',
    "Money columns (decimal(18,2)) are in the config's `currency`: an export's amount may carry that",
    "currency's sign or code (`45.678,90 €`, `EUR 12.50`); another currency's is `currency_mismatch`.",
    '',
  ];
  for (const entity of entities) {
    lines.push(`## ${entity.name}`, '', entity.description, '');
    lines.push(
      `Key: ${entity.key.map((k) => `\`${k}\``).join(' + ')}${entity.version ? `; latest \`${entity.version}\` wins` : '; last ingested wins'}. ` +
        (entity.monthOf ? `Partitioned by \`month\` of \`${entity.monthOf}\`.` : 'Not partitioned.'),
      '',
      '| column | type | required | description |',
      '| --- | --- | --- | --- |',
    );
    for (const c of entity.columns) {
      const values = c.values ? ` One of: ${c.values.map((v) => `\`${v}\``).join(', ')}.` : '';
      lines.push(`| \`${c.name}\` | ${c.sqlType} | ${c.required ? 'yes' : 'no'} | ${c.description}${values} |`);
    }
    lines.push('');
  }
  lines.push(
    '# Marts',
    '',
    'Built from the curated tables on every run, under `marts/<mart>/month=YYYY-MM/`; partitioned by `month`.',
    '',
  );
  for (const mart of martTables) {
    lines.push(
      `## ${mart.name}`,
      '',
      mart.description,
      '',
      `One row per ${mart.grain}.`,
      '',
      '| column | type | description |',
      '| --- | --- | --- |',
    );
    for (const c of mart.columns) lines.push(`| \`${c.name}\` | ${c.sqlType} | ${c.description} |`);
    lines.push('');
  }
  return lines.join('\n');
}
