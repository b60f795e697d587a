/**
 * The months in order, cut into batches of at most `budget` rows (`rows`: each month's); a month
 * larger than the budget is a batch of its own. The local engine cuts its largest statements so:
 * curate's fold by versions, kpi_monthly by curated tickets, each statement one batch.
 */
export function monthBatches(months: readonly string[], rows: ReadonlyMap<string, number>, budget: number): string[][] {
  const batches: string[][] = [];
  let held = 0;
  for (const month of [...months].sort()) {
    const n = rows.get(month) ?? 0;
    if (batches.length === 0 || held + n > budget) {
      batches.push([]);
      held = 0;
    }
    batches.at(-1)!.push(month);
    held += n;
  }
  return batches;
}
