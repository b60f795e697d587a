import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time: vitest's default on 2 cores is one, and the stand-in tests spend most of
    // their time waiting on loopback (Athena polls, S3), not on a core.
    maxWorkers: 2,
    // dt-sql-parser uses directory imports plain Node ESM cannot load; let vite bundle it.
    server: { deps: { inline: ['dt-sql-parser'] } },
  },
});
