import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take minutes start first, slowest first (seconds measured alone on a loaded
 * 2-core machine, 2026-12-07): on a clean checkout vitest has no timings and would start them by
 * size, late, leaving one worker running them alone at the end.
 */
const slowest = [
  'test/faults/torn-writes.test.ts', // ~115-190 s: 11 child-process runs killed at fault points, each run again
  'test/integration/cloud-path.test.ts', // ~100 s
  'test/faults/determinism.test.ts', // ~83 s
  'test/standins/rehearsal.test.ts', // ~72 s
  'test/corpus/bad-input.test.ts', // ~72 s
  'test/faults/crashes.test.ts', // ~71 s
];

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const at = slowest.findIndex((name) => file.moduleId.endsWith(name));
      return at === -1 ? slowest.length : at;
    };
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time: vitest's default on 2 cores is one, and the stand-in tests spend most of
    // their time waiting on loopback (Athena polls, S3), not on a core.
    maxWorkers: 2,
    sequence: { sequencer: SlowestFirst },
    // dt-sql-parser uses directory imports plain Node ESM cannot load; let vite bundle it.
    // The rehearsal's Lambda bundles (built as deployed into .tmp/rehearsal-bundles/) load through
    // Node's own import, as the Lambda runtime loads them: vite's transform re-parsed each
    // megabyte-sized bundle.
    server: { deps: { inline: ['dt-sql-parser'], external: [/\/\.tmp\/rehearsal-bundles\//] } },
  },
});
