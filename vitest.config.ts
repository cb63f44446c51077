import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Tests are CPU-bound numerics; two cores on the reference machine.
    pool: "forks",
    maxWorkers: 2,
  },
});
