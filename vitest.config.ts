import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Child processes (Envoy, Kafka, ClickHouse) are tied to the worker that spawned them
    // (PR_SET_PDEATHSIG), so workers must be processes, not threads.
    pool: 'forks',
    // Integration tests start real brokers and proxies on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // CI also writes a JSON report: .ci/run prints its closing "N passed, N failed" line from it.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.cache/vitest-report.json' }]]
      : ['default'],
  },
});
