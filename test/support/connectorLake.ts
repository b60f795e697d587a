import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { EnvSecrets } from '../../functions/adapters/local/envSecrets.ts';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { loadConfig } from '../../functions/config/load.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { HttpTimings } from '../../functions/sources/api/http.ts';
import { sourcesFor } from '../../functions/sources/registry.ts';
import type { StageContext } from '../../functions/stages/context.ts';
import { registerCurated } from '../../functions/stages/lake.ts';

/** Waits short enough for tests: the faults cost milliseconds, Retry-After is still obeyed. */
export const quickTimings: Partial<HttpTimings> = {
  timeoutMs: 400,
  backoffFirstMs: 5,
  backoffMaxMs: 20,
  pollFirstMs: 5,
  pollMaxMs: 20,
  retries: 4,
  random: () => 0.5,
};

/**
 * A config with one API source beside a lake of its own under `dir/name`, written anew unless `keep`;
 * `extra` adds config keys (owners, …).
 */
export function writeConnectorConfig(
  dir: string,
  name: string,
  source: Record<string, unknown>,
  keep = false,
  extra: Record<string, unknown> = {},
): string {
  const folder = path.join(dir, name);
  if (!keep) rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, 'pulse.config.json');
  writeFileSync(
    file,
    JSON.stringify({
      lake: './lake',
      timezone: 'UTC',
      sources: [source],
      audiences: [{ name: 'executive', recipients: ['ceo@acme.example'] }],
      ...extra,
    }),
  );
  return file;
}

/** A local context on that lake whose sources come from the registry, with the quick timings. */
export async function connectorContext(
  file: string,
  now = new Date('2026-11-02T06:00:00Z'),
  options: { checkpointRecords?: number } = {},
): Promise<StageContext> {
  const loaded = await loadConfig(file);
  const ctx = await createLocalContext(loaded, parsePeriod('2026-10'), { quiet: true, now });
  ctx.sources = sourcesFor(loaded.config, {
    baseDir: loaded.baseDir,
    secrets: new EnvSecrets(),
    connectors: { timings: quickTimings, clock: () => now, ...options },
  });
  return ctx;
}

/** The curated tickets, in id order, with the fields a connector fills. */
export async function curatedTickets(ctx: StageContext) {
  await registerCurated(ctx);
  return ctx.engine.query(
    'select id, status, is_deleted, channel, priority, category, created_at, first_response_at, solved_at, closed_at, is_escalated, reopens, agent_replies, satisfaction, customer_id, assignee_id, group_id from tickets order by id',
  );
}

/** Every byte of a lake folder (gzipped parts unzipped), as text: to look for a credential. */
export function lakeText(lake: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const p = path.join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else
        out.push(p.endsWith('.gz') ? gunzipSync(readFileSync(p)).toString('utf8') : readFileSync(p).toString('latin1'));
    }
  };
  walk(lake);
  return out.join('\n');
}
