// What the benchmarks' Node scripts share about a `sightline serve` they start: its address,
// read from the "listening on http://…" line it prints on standard output.

import { createInterface } from "node:readline";

/**
 * The URL `server` (a child process with piped stdout) listens on, once it says so; fails when
 * it exits first or says nothing within `timeoutMs`.
 */
export function listeningUrl(server, timeoutMs) {
  return new Promise((found, failed) => {
    const timer = setTimeout(() => failed(new Error(`sightline did not start within ${timeoutMs / 1000} s`)), timeoutMs);
    server.once("exit", (code) => failed(new Error(`sightline exited with ${code}`)));
    createInterface({ input: server.stdout }).on("line", (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        found(match[1]);
      }
    });
  });
}
