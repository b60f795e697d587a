import { kpiCatalog, sideMeasures } from './catalog.ts';

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
    'Units: `count`, `currency` and `seconds` change in percent and in the unit in the reports',
    '("+12% (+340)"); a `ratio` (a fraction, printed as a percentage) changes in percentage points',
    '("+1.2 pp"), a `score` (NPS, CES) in points ("+23.5 points"); `pp` is itself a difference of',
    'two ratios, held as a fraction (−0.003) and printed in percentage points (−0.3 pp).',
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
  lines.push(
    '## Periods of several months',
    '',
    "A quarter or a range of whole months that `kpi_monthly` holds sums its months' rows for the KPIs",
    'below marked "sum of months" (numerators and denominators added, the value recomputed); the',
    'others run their query over the curated rows of the whole period, for the reason given',
    '(docs/design.md, "Quarters and ranges"). Either way the numbers are those of one query over',
    'the whole period (docs/rules.md, "Periods of several months"). The rows beside a KPI are in italics.',
    '',
    '| id | measured | why not summed |',
    '| --- | --- | --- |',
  );
  const measured = [
    ...kpiCatalog.flatMap((d) => (d.acrossMonths ? [{ id: `\`${d.id}\``, across: d.acrossMonths }] : [])),
    ...sideMeasures.map((m) => ({ id: `_\`${m.id}\`_`, across: m.acrossMonths })),
  ];
  for (const { id, across } of measured)
    lines.push(
      across === 'sum' ? `| ${id} | sum of months | |` : `| ${id} | query over the whole period | ${across.whole} |`,
    );
  lines.push('');
  return lines.join('\n');
}
