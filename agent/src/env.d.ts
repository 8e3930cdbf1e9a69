/** The agent's version, from agent/package.json, set by the build (esbuild `define`, vitest `define`). */
declare const __AGENT_VERSION__: string;
