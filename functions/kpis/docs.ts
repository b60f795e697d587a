import { kpiCatalog } from './catalog.ts';

/** docs/kpis.md, generated from the catalog: each KPI's definition, unit, direction and basis. */
export function kpiDocsMarkdown(): string {
  const families = [...new Set(kpiCatalog.map((d) => d.family))];
  const lines = [
    '# KPI catalog',
    '',
    'Generated from `functions/kpis/catalog.ts` by `npm run generate:files`. The id is the key in',
    '`kpis.json`. Durations report the exact median as the value, with p90 (linear interpolation,',
    "numpy's default), the mean and n beside it. A KPI whose inputs no source provides is",
    '`notMeasured`, never zero. The precise rules are in `docs/rules.md`.',
    '',
  ];
  for (const family of families) {
    lines.push(
      `## ${family}`,
      '',
      '| id | label | unit | better | inputs | definition | follows |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const d of kpiCatalog.filter((k) => k.family === family)) {
      const inputs = [
        ...d.inputs,
        ...(d.anyOf ? [d.anyOf.join(' or ')] : []),
        ...(d.needsConfig ? [`config.${d.needsConfig}`] : []),
      ].join(', ');
      lines.push(
        `| \`${d.id}\` | ${d.label} | ${d.unit} | ${d.direction} | ${inputs} | ${d.description} | ${d.basis} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}
