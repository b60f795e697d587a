import type { LandedPart } from '../ports/source.ts';

export type { LandedPart } from '../ports/source.ts';

export interface RowCounts {
  rowsRead: number;
  rowsAccepted: number;
  rowsRejected: number;
  rejectedByReason: Record<string, number>;
  /**
   * Bad values in accepted rows, by field then reason (docs/design.md, "Bad input"): counted beside
   * the rows, not in them.
   */
  fieldIssues: Record<string, Record<string, number>>;
}

/** What curate has counted of one unit: its rows as last landed, and the rejects they wrote. */
export interface UnitCounts extends RowCounts {
  landing?: string;
  /** The landed parts already counted here, so a part curated twice is counted once. */
  parts?: string[];
  rejectKeys?: string[];
}

/**
 * state/<source>/<entity>.json. Extract writes the watermark and the parts it landed; curate
 * writes what it counted of each unit and the freshest record it saw.
 */
export interface SourceState {
  watermark: unknown;
  landed: LandedPart[];
  units: Record<string, UnitCounts>;
  lastExtractAt: string | null;
  freshestRecordAt: string | null;
  /** A full source: the records its latest export no longer held, removed from the lake (docs/design.md, "Full exports"). */
  removed?: number;
}

export function emptyCounts(): RowCounts {
  return { rowsRead: 0, rowsAccepted: 0, rowsRejected: 0, rejectedByReason: {}, fieldIssues: {} };
}

export function emptySourceState(): SourceState {
  return { watermark: undefined, landed: [], units: {}, lastExtractAt: null, freshestRecordAt: null };
}

export function addCounts(into: RowCounts, from: RowCounts): void {
  into.rowsRead += from.rowsRead;
  into.rowsAccepted += from.rowsAccepted;
  into.rowsRejected += from.rowsRejected;
  for (const [reason, n] of Object.entries(from.rejectedByReason)) {
    into.rejectedByReason[reason] = (into.rejectedByReason[reason] ?? 0) + n;
  }
  for (const [field, byReason] of Object.entries(from.fieldIssues ?? {})) {
    const counted = (into.fieldIssues[field] ??= {});
    for (const [reason, n] of Object.entries(byReason)) counted[reason] = (counted[reason] ?? 0) + n;
  }
}

/** What a source has read, each row counted once. */
export function sourceTotals(state: SourceState): RowCounts {
  const totals = emptyCounts();
  for (const counts of Object.values(state.units)) addCounts(totals, counts);
  return totals;
}
