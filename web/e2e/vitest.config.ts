// The dashboard end to end: real Chromium (Debian's, driven by playwright-core), the real
// `sightline serve` (target/debug) filled by `loadgen`. `make web-e2e` builds what it needs.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: "web/e2e",
    include: ["**/*.e2e.ts"],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
  },
});
