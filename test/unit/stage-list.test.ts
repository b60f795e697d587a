import { describe, expect, it } from 'vitest';
import { stages } from '../../functions/stages/index.ts';
import { stageList } from '../../functions/stages/list.ts';

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

  it('is what the local runner walks, stage for stage', () => {
    expect(stages.map((s) => [s.name, s.runsAs, typeof s.run])).toEqual(stageList.map((s) => [s.name, s.runsAs, 'function']));
  });
});
