// Sightline's loader snippet exactly as docs/agent.md documents it (read from there, as the
// end-to-end tests do), pointed at the server's /agent.js (or another path of it), then init.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const doc = join(dirname(fileURLToPath(import.meta.url)), "../../docs/agent.md");

/** `init`: more options (e.g. `endpoint` when the script comes from another origin than the server). */
export function sightlineTags(sightlineUrl, projectKey, agentPath = "/agent.js", init = {}) {
  const loader = readFileSync(doc, "utf8")
    .split("\n")
    .find((line) => line.startsWith("!function(") && line.includes("https://rum.example.com/agent.js"));
  if (!loader) throw new Error("docs/agent.md no longer shows the loader snippet");
  return `<script>
${loader.replace("https://rum.example.com/agent.js", `${sightlineUrl}${agentPath}`)}
sightline("init", ${JSON.stringify({ projectKey, ...init })});
</script>`;
}
