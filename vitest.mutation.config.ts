import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/** The tests mutation testing runs: those that load the code in-process (unit, integration, plugin contract tests).
 *  The e2e and crash tests run the built CLI (dist/) in child processes, which Stryker's mutants never reach. */
export default mergeConfig(base, defineConfig({
  test: { include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts', 'tests/plugins/**/*.test.ts'] },
}));
