import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { parseConfig } from '../../functions/config/load.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import { entityByName } from '../../functions/model/index.ts';
import { getJson } from '../../functions/ports/objectStore.ts';
import type { SourceRow } from '../../functions/ports/source.ts';
import { curate, validatedRows, validateLanded } from '../../functions/stages/curate.ts';
import { extract, sourceTotals, stateKey, type RowCounts, type SourceState } from '../../functions/stages/extract.ts';

export interface ReadExport {
  /** Every data row, in file order: accepted (typed record, field issues) or rejected (reason, field, message). */
  rows: SourceRow[];
  /** What curate counted for the source, read back from its state. */
  totals: RowCounts;
  /** The extract's log lines (files landed as is or split, and why). */
  log: string[];
}

export interface ExportOptions {
  entity?: string;
  /** CSV source keys besides name, type, entity and path. */
  source?: Record<string, unknown>;
  zone?: string;
  currency?: string;
  dir?: string;
}

/**
 * Reads one export the way a run does: extract lands it (as it is, or split by Pulse's reader),
 * each landed part goes through the validation SQL curate generates, in DuckDB, and then curate
 * itself runs, so its counts can be held against the rows seen here.
 */
export async function readExport(content: string | Buffer, options: ExportOptions = {}): Promise<ReadExport> {
  const entityName = options.entity ?? 'tickets';
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), 'pulse-export-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'export.csv'), content);
  const config = parseConfig(
    {
      timezone: options.zone ?? 'UTC',
      currency: options.currency ?? 'USD',
      lake: './lake',
      sources: [{ name: 'helpdesk', type: 'csv', entity: entityName, path: 'export.csv', ...options.source }],
    },
    path.join(dir, 'pulse.config.json'),
  );
  const ctx = await createLocalContext(config, parsePeriod('2026-10'), { quiet: true });
  const log: string[] = [];
  ctx.log = (line) => log.push(line);
  try {
    await extract(ctx);
    const entity = entityByName(entityName)!;
    const state = (await getJson<SourceState>(ctx.store, stateKey('helpdesk', entityName)))!;
    const rows: SourceRow[] = [];
    for (const part of state.landed) {
      await validateLanded(ctx.engine, ctx.config, entity, ctx.sources[0]!, part, 'export_rows');
      await ctx.engine.releaseLanded();
      rows.push(...(await validatedRows(ctx.engine, 'export_rows', entity)));
    }
    await curate(ctx);
    return {
      rows,
      totals: sourceTotals((await getJson<SourceState>(ctx.store, stateKey('helpdesk', entityName)))!),
      log,
    };
  } finally {
    await ctx.engine.close();
  }
}
