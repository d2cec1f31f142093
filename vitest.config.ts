import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // type-graphql reads decorator metadata; vite 8 transforms with oxc, which must be told to emit it.
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  resolve: {
    // One graphql module instance under vitest (otherwise "Cannot use GraphQLObjectType from another realm").
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Builds what tests read from disk (generated documents, dist/, bundles) when missing or stale.
    globalSetup: ['test/harness/build.ts'],
    // A test file mostly waits (timers, sockets, child processes): run more of them at once than there are cores,
    // though not so many that the tests timing answers in milliseconds feel the contention.
    maxWorkers: Math.max(3, availableParallelism()),
    // The files of one worker share what they import (the gateway's modules load once per worker, not per file):
    // on two cores that is minutes of CPU. No test changes global state, so none sees another's.
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
