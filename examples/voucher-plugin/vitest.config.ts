import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each contract case starts its own simulated world (a TON chain of real wallet contracts): seconds, not ms.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
