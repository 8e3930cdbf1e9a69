// The browser agent's end-to-end suite: real Chromium (Debian's, driven by playwright-core),
// real pages on loopback, the real `sightline serve` and `sightline sql` (target/debug).
// Run with `make agent-e2e`, which builds the binary and installs Chromium when missing.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: "agent/e2e",
    include: ["**/*.e2e.ts"],
    // One suite at a time: each starts a server and a browser, and the machine may be small.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    reporters: ["default"],
  },
});
