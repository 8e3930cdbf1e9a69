// Unit tests of the dashboard's pure parts (URL state, formatting, ratings, links, SQL
// filters) in Node. The pages themselves are tested in Chromium against the real server
// (web/e2e, `make web-e2e`).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: { include: ["test/**/*.test.ts"], environment: "node" },
});
