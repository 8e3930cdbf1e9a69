import { readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as { version: string };

// Unit tests of the agent's pure logic run in Node: no DOM emulation. What needs a real
// browser is tested end to end in Chromium (agent/e2e).
export default defineConfig({
  define: { __AGENT_VERSION__: JSON.stringify(version) },
  test: { include: ["test/**/*.test.ts"], environment: "node" },
});
