import type { Display } from '../../kpis/format.ts';
import type { SourceQuality } from '../../kpis/types.ts';
import { removedNote } from '../layout.ts';
import type { AnalystModel, KpiEntry, TableInventory } from './model.ts';
import { describeSlice } from '../../config/schema.ts';

/**
 * What the HTML and the text part show of each list: the top, so that no lake, however many
 * sources or reasons it has, pushes the HTML past Gmail's 102 KB clip; the attachments hold all.
 */
export const shown = { tables: 40, sources: 25, reasonsPerSource: 6, excludedReasons: 10, kpis: 60 } as const;

/** Every source when they fit; else the ones with the most rejected rows. */
export function topSources(model: AnalystModel): SourceQuality[] {
  const sources = model.dataQuality.sources;
  if (sources.length <= shown.sources) return sources;
  return [...sources].sort((a, b) => b.rowsRejected - a.rowsRejected).slice(0, shown.sources);
}

/** `reason n, reason n` largest first, the top `max` and how many more. */
export function reasonsText(byReason: Record<string, number>, max: number, display: Display): string {
  const entries = Object.entries(byReason).sort((a, b) => b[1] - a[1]);
  const listed = entries
    .slice(0, max)
    .map(([reason, n]) => `${reason} ${display.count(n)}`)
    .join(', ');
  return entries.length > max ? `${listed} and ${entries.length - max} more` : listed;
}

/** An ISO instant as `2026-10-06 09:00 UTC`; a date or a month as it is. */
export function instantText(value: string | null): string {
  if (value === null) return '–';
  const instant = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(value);
  return instant ? `${instant[1]} ${instant[2]} UTC` : value;
}

export function monthsText(t: TableInventory): string {
  if (!t.months) return t.rowsInPeriod === null ? 'not partitioned' : 'no months';
  const span = t.months.first === t.months.last ? t.months.first : `${t.months.first} – ${t.months.last}`;
  return `${span} (${t.months.count} ${t.months.count === 1 ? 'month' : 'months'})`;
}

export function sourceLine(s: SourceQuality, display: Display): string {
  const n = display.count;
  const removed = removedNote(s, n).replace(/^,/, ' ·');
  return `${n(s.rowsRead)} read · ${n(s.rowsAccepted)} accepted · ${n(s.rowsRejected)} rejected${removed}`;
}

/** Where a KPI's number comes from, in one line. */
export function traceText(k: KpiEntry): string {
  switch (k.trace.kind) {
    case 'query': {
      const notes = [
        k.trace.readFrom && `rows read from ${k.trace.readFrom}`,
        !k.trace.hasRows && 'no row this period',
      ];
      const said = notes.filter(Boolean).join('; ');
      return said ? `${k.trace.file} (${said})` : k.trace.file;
    }
    case 'computed':
      return `computed in TypeScript from ${k.trace.from}`;
    case 'not_measured':
      return `not measured: ${k.trace.reason}`;
    case 'unrecorded':
      return 'no query recorded for this period';
  }
}

/**
 * The slice in words with its codes beside them, as an analyst's SQL matches on the codes:
 * `segment Mid-market (mid_market)`.
 */
export function sliceText(slice: Record<string, string>, display: Display): string {
  return describeSlice(slice, (code) => (display.label(code) === code ? code : `${display.label(code)} (${code})`));
}
