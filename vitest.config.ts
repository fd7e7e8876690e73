import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    setupFiles: ['tests/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration and e2e tests start servers on port 0 and the TON sandbox (WASM); keep the pool small on 2 cores.
    pool: 'forks',
    maxWorkers: 2,
  },
});
