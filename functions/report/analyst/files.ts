import type { CellValue } from '../cells.ts';
import { csvTable } from '../csvTable.ts';
import type { FileAttachment } from '../message.ts';
import type { ColumnFormat } from '../table.ts';
import type { AnalystModel, KpiEntry } from './model.ts';
import { describeSlice } from '../../config/schema.ts';
import { parsePeriod } from '../../kpis/period.ts';

/** The analyst report's attachments: the whole lists the e-mail shows the top of. */
export const attachmentNames = {
  queries: 'kpi-queries.sql',
  inventory: 'lake-inventory.csv',
  dataQuality: 'data-quality.csv',
} as const;

type Cell = CellValue;

/** Through the report's one CSV writer (functions/report/csvTable.ts): every cell neutralised. */
function csvFile(filename: string, header: [string, ColumnFormat][], rows: Cell[][]): FileAttachment {
  const slug = filename.replace(/\.csv$/, '');
  const content = csvTable({
    name: slug,
    slug,
    columns: header.map(([name, format]) => ({ header: name, format })),
    rows,
  });
  return { filename, contentType: 'text/csv; charset=utf-8', content };
}

export function lakeInventoryCsv(model: AnalystModel): FileAttachment {
  return csvFile(
    attachmentNames.inventory,
    [
      ['layer', 'text'],
      ['table', 'text'],
      ['rows', 'count'],
      ['rows_in_period', 'count'],
      ['first_month', 'text'],
      ['last_month', 'text'],
      ['months', 'count'],
      ['freshest_column', 'text'],
      ['freshest', 'text'],
    ],
    model.tables.map((t) => [
      t.layer,
      t.table,
      t.rows,
      t.rowsInPeriod,
      t.months?.first ?? null,
      t.months?.last ?? null,
      t.months?.count ?? null,
      t.freshestColumn,
      t.freshest,
    ]),
  );
}

/** One measure per row (section, source, entity, measure, reason, value): easy to filter and pivot. */
export function dataQualityCsv(model: AnalystModel): FileAttachment {
  const dq = model.dataQuality;
  const rows: Cell[][] = [];
  for (const s of dq.sources) {
    rows.push(['source', s.source, s.entity, 'rows_read', '', s.rowsRead]);
    rows.push(['source', s.source, s.entity, 'rows_accepted', '', s.rowsAccepted]);
    rows.push(['source', s.source, s.entity, 'rows_rejected', '', s.rowsRejected]);
    for (const [reason, n] of Object.entries(s.rejectedByReason))
      rows.push(['source', s.source, s.entity, 'rows_rejected', reason, n]);
    if (s.removed !== undefined) rows.push(['source', s.source, s.entity, 'records_removed', '', s.removed]);
    rows.push(['source', s.source, s.entity, 'last_extract_at', '', s.lastExtractAt]);
    rows.push(['source', s.source, s.entity, 'freshest_record_at', '', s.freshestRecordAt]);
  }
  rows.push(['excluded_from_time_metrics', '', 'tickets', 'records', '', dq.excludedFromTimeMetrics.total]);
  for (const [reason, n] of Object.entries(dq.excludedFromTimeMetrics.byReason))
    rows.push(['excluded_from_time_metrics', '', 'tickets', 'records', reason, n]);
  rows.push(['older_versions_merged', '', '', 'versions', '', dq.duplicatesMerged]);
  return csvFile(
    attachmentNames.dataQuality,
    [
      ['section', 'text'],
      ['source', 'text'],
      ['entity', 'text'],
      ['measure', 'text'],
      ['reason', 'text'],
      ['value', 'text'],
    ],
    rows,
  );
}

/** A line comment cannot end early: a line break in the text would start SQL. */
const comment = (text: string) => `-- ${text.replace(/[\r\n\u2028\u2029]+/g, ' ')}`.trimEnd();
const rule = `-- ${'-'.repeat(77)}`;

/**
 * How the marts stage ran a query whose rows evaluate read back: for the month, or for each month
 * of a longer period, whose rows evaluate summed (docs/design.md, "Quarters and ranges").
 */
function storedRun(period: string, mart: string): string {
  return parsePeriod(period).months.length > 1
    ? `the marts stage ran it for each month of ${period} (evaluate summed its rows from ${mart})`
    : `the marts stage ran it for ${period} (evaluate read its rows back from ${mart})`;
}

function kpiBlock(k: KpiEntry, period: string): string[] {
  const lines = [
    rule,
    comment(`${k.id} — ${k.label}`),
    comment(`value: ${k.shown}${k.value === null || String(k.value) === k.shown ? '' : ` (${k.value})`}`),
    comment(`definition: ${k.description}`),
    ...(k.basis ? [comment(`basis: ${k.basis}`)] : []),
  ];
  const trace = k.trace;
  switch (trace.kind) {
    case 'query':
      lines.push(
        comment(
          `query: ${trace.file}, as ${trace.readFrom ? storedRun(period, trace.readFrom) : `evaluate ran it for ${period}`}${trace.hasRows ? '' : ' (it returned no row for this KPI: nothing to measure in the period)'}`,
        ),
      );
      lines.push(comment(k.derivation), `${trace.sql};`);
      break;
    case 'computed':
      lines.push(comment(`computed in TypeScript from ${trace.from}`), comment(k.derivation));
      if (trace.inputsSql) lines.push(comment('the rows it reads:'), `${trace.inputsSql};`);
      break;
    case 'not_measured':
      lines.push(comment(`not measured: ${trace.reason}`));
      break;
    case 'unrecorded':
      lines.push(
        comment(
          `no query recorded: reports/${period}/queries.json does not name this KPI; run evaluate for ${period} again`,
        ),
        comment(k.derivation),
      );
      break;
  }
  return [...lines, ''];
}

/** Every KPI of the report with the query that reproduces its value, runnable as one script. */
export function kpiQueriesSql(model: AnalystModel): FileAttachment {
  const header = [
    comment(
      `Pulse: the SQL behind every KPI of ${model.periodLabel} (period ${model.periodId}; months ${model.months.join(', ')}).`,
    ),
    comment('Each block returns the rows one KPI is derived from: the query evaluate ran on the marts for this'),
    comment('period (or the marts stage ran for a whole month, its rows stored in kpi_monthly), with the'),
    comment("period's values filled in, cut to that KPI's rows. It runs on Athena (Trino,"),
    comment('engine v3) and on DuckDB over the lake once sql/dialect/duckdb_shims.sql (Trino functions) is loaded.'),
    comment(`kpis.json generated ${model.generatedAt}; time zone ${model.timezone}; currency ${model.currency}.`),
    ...(model.slice
      ? [
          comment(
            `This audience's values come from the slice ${describeSlice(model.slice)}; the queries read the whole lake.`,
          ),
        ]
      : []),
    ...(model.queriesRecorded
      ? []
      : [
          comment(
            `reports/${model.periodId}/queries.json was not written for this period: run evaluate again to record the queries.`,
          ),
        ]),
    '',
  ];
  const supporting = model.supporting.flatMap((s) => [
    rule,
    comment(`${s.id} (beside the KPIs): ${s.note}`),
    comment(`query: ${s.file}`),
    `${s.sql};`,
    '',
  ]);
  const text = [...header, ...model.kpis.flatMap((k) => kpiBlock(k, model.periodId)), ...supporting].join('\n');
  return {
    filename: attachmentNames.queries,
    contentType: 'application/sql; charset=utf-8',
    content: Buffer.from(text, 'utf8'),
  };
}
