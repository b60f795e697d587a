import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { catalogFixture } from './pipelineRun.ts';

/**
 * The golden catalog grown with rows enough that DuckDB sums each measure in parallel, in several
 * row groups (122,880 rows each): agents' hours and loaded costs, tickets' handle seconds and
 * millisecond timestamps, contacts' talk seconds and ledger amounts, every value with decimals
 * that a double cannot hold exactly (0.1, 0.01…), so the order of a double sum shows in its last
 * digits. Everything is in October 2026, the fixture's period; the values follow from the row's
 * index alone, so every call writes the same files.
 */
export function writeLargeCatalog(folder: string, rows: { agents: number; tickets: number; costs: number }): string {
  mkdirSync(folder, { recursive: true });
  const golden = path.dirname(catalogFixture);
  for (const file of readdirSync(golden)) copyFileSync(path.join(golden, file), path.join(folder, file));
  const append = (file: string, lines: string[]) =>
    writeFileSync(path.join(folder, file), lines.join('\n') + '\n', { flag: 'a' });

  const agents: string[] = [];
  const agentTime: string[] = [];
  for (let a = 0; a < rows.agents; a += 1) {
    agents.push(`g${a},Agent ${a},${a % 2 ? 'alpha' : 'beta'},2025-01-01,,${35 + (a % 2500) / 100}`);
    for (let day = 1; day <= 31; day += 1) {
      const worked = 7 + ((a * 31 + day) % 151) / 100;
      agentTime.push(`g${a},2026-10-${String(day).padStart(2, '0')},${worked},${Math.round(worked * 70) / 100}`);
    }
  }
  append('agents.csv', agents);
  append('agent_time.csv', agentTime);

  const channels = ['email', 'chat', 'phone'];
  const tickets: string[] = [];
  const contacts: string[] = [];
  for (let t = 0; t < rows.tickets; t += 1) {
    const created = Date.parse('2026-10-01T00:00:00Z') + ((t * 7919) % (30 * 86_400_000));
    const iso = (ms: number) => new Date(ms).toISOString();
    const reply = created + 60_000 + ((t * 104_729) % 7_200_000);
    const solved = reply + 600_000 + ((t * 15_485_863) % 86_400_000);
    const handle = 300 + ((t * 13) % 1800) / 10;
    const channel = channels[t % 3]!;
    const team = t % 2 ? 'alpha' : 'beta';
    tickets.push(
      `L${t},${iso(created)},${iso(reply)},${iso(solved)},solved,${channel},billing,normal,g${t % rows.agents},` +
        `${team},c1,${handle},1,${iso(solved)}`,
    );
    if (t % 2 === 0) {
      const answered = created + 5_000 + (t % 97) * 1_000;
      contacts.push(
        `R${t},L${t},c1,voice,${iso(created)},${iso(answered)},${iso(answered + 600_000)},false,` +
          `${(t % 900) / 10 + 100},${(t % 70) / 10},${(t % 33) / 10},g${t % rows.agents}`,
      );
    }
  }
  append('tickets.csv', tickets);
  append('contacts.csv', contacts);

  const costs: string[] = [];
  const categories = ['telephony', 'tooling', 'network', 'overhead'];
  for (let c = 0; c < rows.costs; c += 1) {
    costs.push(`2026-10,cc${c},${categories[c % 4]},${channels[c % 3]},,${((c * 7) % 10_000) / 100 + 0.1},USD`);
  }
  append('costs.csv', costs);
  return path.join(folder, 'pulse.config.json');
}
