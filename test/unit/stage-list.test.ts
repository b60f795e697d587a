import { describe, expect, it } from 'vitest';
import { stages } from '../../functions/stages/index.ts';
import { isDrained, stageList } from '../../functions/stages/list.ts';

describe('the stage list', () => {
  it('orders the pipeline as docs/design.md draws it, as data the CDK stack can read without loading stage code', () => {
    expect(stageList.map((s) => s.name)).toEqual(['extract', 'curate', 'marts', 'evaluate', 'render', 'deliver']);
    // Lambda's own limits: at most 15 minutes, 128 MB to 10,240 MB.
    for (const stage of stageList) {
      expect(stage.timeoutSeconds).toBeLessThanOrEqual(900);
      expect(stage.memoryMb).toBeGreaterThanOrEqual(128);
      expect(stage.memoryMb).toBeLessThanOrEqual(10240);
    }
  });

  it('says which stages query, which repeat until drained, and which prefixes each touches', () => {
    expect(stageList.filter((s) => s.queries).map((s) => s.name)).toEqual(['curate', 'marts', 'evaluate']);
    expect(stageList.filter((s) => s.repeatsUntilDrained).map((s) => s.name)).toEqual(['extract', 'curate', 'marts']);
    // Every prefix is a folder of the lake, ending in a slash (IAM grants it as <prefix>*).
    for (const stage of stageList)
      for (const prefix of [...stage.reads, ...stage.writes]) expect(prefix).toMatch(/^(_?[a-z]+\/)+$/);
    expect(stageList.filter((s) => s.scratchTables).map((s) => s.name)).toEqual(['curate', 'marts']);
    // Render reads evaluate's files, nothing of the lake's tables.
    expect(stageList.find((s) => s.name === 'render')!.reads).toEqual(['reports/']);
  });

  it('reads drained from a result, or from each part of it (extract, per source)', () => {
    expect(isDrained({ drained: false })).toBe(false);
    expect(isDrained([{ drained: true }, { drained: false }])).toBe(false);
    expect(isDrained([{ drained: true }])).toBe(true);
    expect(isDrained({ reportKey: 'reports/2026-10/kpis.json' })).toBe(true);
    expect(isDrained(undefined)).toBe(true);
  });

  it('is what the local runner walks, stage for stage', () => {
    expect(stages.map((s) => [s.name, s.queries, typeof s.run])).toEqual(
      stageList.map((s) => [s.name, s.queries, 'function']),
    );
  });
});
