import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globals: true,
    root: './',
    include: ['**/*.spec.ts'],
    // Booting Nest on an in-memory PGlite and running every fault scenario takes a few seconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
