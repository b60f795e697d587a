import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { entityNames } from '../model/index.ts';

/** The config the demo writes beside its sample exports: every entity, targets, every kind of report and a sliced one. */
export function demoConfig(timezone: string) {
  return {
    timezone,
    currency: 'USD',
    lake: './lake',
    sources: entityNames.map((entity) => ({
      name: entity === 'tickets' ? 'helpdesk' : entity.replace(/_/g, '-'),
      type: 'csv',
      entity,
      path: `exports/${entity}.csv`,
    })),
    definitions: { complaintCategories: ['complaint'] },
    targets: {
      first_reply_time: { target: 3600 * 4, warning: 3600 * 8, critical: 3600 * 24 },
      full_resolution_time: { target: 3600 * 24, warning: 3600 * 48, critical: 3600 * 96 },
      replied_within_24h_rate: { target: 0.95, warning: 0.9, critical: 0.8 },
      resolved_within_2d_rate: { target: 0.8, warning: 0.7, critical: 0.6 },
      sla_attainment: { target: 0.85, warning: 0.75, critical: 0.6 },
      one_touch_rate: { target: 0.5 },
      reopen_rate: { target: 0.08, warning: 0.1, critical: 0.15 },
      escalation_rate: { target: 0.05, warning: 0.08, critical: 0.12 },
      csat: { target: 0.85, warning: 0.8, critical: 0.7 },
      backlog_open: { target: 500 },
    },
    benchmarks: { csat: { industry: 0.86 }, first_reply_time: { industry: 3600 * 6 } },
    audiences: [
      { name: 'executive', report: 'executive', recipients: ['ops@example.com', 'ceo@example.com'] },
      { name: 'finance', report: 'finance', recipients: ['cfo@example.com'] },
      { name: 'analyst', report: 'analyst', recipients: ['data@example.com'] },
      {
        name: 'frontline',
        report: 'executive',
        recipients: ['frontline-lead@example.com'],
        slice: { team: 'frontline' },
      },
    ],
    owners: ['pulse-owner@example.com'],
    mail: { transport: 'outbox', from: 'pulse@localhost' },
  };
}

export async function writeDemoConfig(outDir: string, timezone: string): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const file = path.join(outDir, 'pulse.config.json');
  await writeFile(file, `${JSON.stringify(demoConfig(timezone), null, 2)}\n`);
  return file;
}
