// A development server for the dashboard against a running `sightline serve`, for when
// the server's own session endpoints are not there (or to work on the UI without
// rebuilding the binary): serves web/dist with the SPA fallback and the same strict CSP,
// answers /api/v1/session itself (any user with `--password`, or any non-empty password,
// logs in; a cookie marks the session), and forwards every other /api request with a bearer token.
//
//   node web/scripts/dev.mjs --upstream http://127.0.0.1:8080 --token slt_… [--port 5173] [--password P]
//
// It also checks the CSRF header on writes, like the server.

import { readFileSync, existsSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";

const DIST = join(dirname(fileURLToPath(import.meta.url)), "../dist");
export const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
/** @type {Record<string, string>} */
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css" };

/**
 * Starts the server; resolves to its `http://127.0.0.1:PORT` and a close function.
 * @param {{ upstream: string; token: string; port?: number; password?: string }} options
 * @returns {Promise<{ url: string; close: () => void }>}
 */
export function startDev({ upstream, token, port = 0, password: expected }) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    /** @type {Buffer[]} */
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    /** @type {(status: number, value: unknown, headers?: Record<string, string>) => void} */
    const json = (status, value, headers = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(value === undefined ? undefined : JSON.stringify(value));
    };
    if (url.pathname.startsWith("/api/")) {
      if (req.method !== "GET" && req.headers["x-sightline-csrf"] !== "1") {
        return json(403, { error: { code: "csrf", message: "a write needs the X-Sightline-CSRF header" } });
      }
      const user = /(?:^|; )dev_session=([^;]+)/.exec(req.headers.cookie ?? "")?.[1];
      if (url.pathname === "/api/v1/session") {
        if (req.method === "GET") return user ? json(200, { user: decodeURIComponent(user) }) : json(401, { error: { code: "unauthorized", message: "log in first" } });
        if (req.method === "DELETE") return json(204, undefined, { "set-cookie": "dev_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" });
        const { user: name, password } = JSON.parse(body.toString() || "{}");
        if (!name || (expected ? password !== expected : !password)) return json(401, { error: { code: "unauthorized", message: "Wrong user name or password." } });
        return json(200, { user: name }, { "set-cookie": `dev_session=${encodeURIComponent(name)}; Path=/; HttpOnly; SameSite=Strict` });
      }
      if (!user) return json(401, { error: { code: "unauthorized", message: "log in first" } });
      const answer = await fetch(upstream + url.pathname + url.search, {
        method: req.method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: req.method === "GET" ? undefined : body,
      });
      /** @type {Record<string, string>} */
      const headers = { "content-type": answer.headers.get("content-type") ?? "application/json" };
      const retry = answer.headers.get("retry-after");
      if (retry) headers["retry-after"] = retry;
      res.writeHead(answer.status, headers);
      return res.end(Buffer.from(await answer.arrayBuffer()));
    }
    const file = join(DIST, url.pathname);
    const asset = file.startsWith(DIST) && extname(file) && existsSync(file) ? file : join(DIST, "index.html");
    res.writeHead(200, {
      "content-type": TYPES[extname(asset)] ?? "application/octet-stream",
      "content-security-policy": CSP,
      "cache-control": "no-cache",
    });
    res.end(readFileSync(asset));
  });
  return new Promise((ready) =>
    server.listen(port, "127.0.0.1", () => ready({ url: `http://127.0.0.1:${/** @type {import("node:net").AddressInfo} */ (server.address()).port}`, close: () => server.close() })),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  /** @type {(name: string, fallback: string | undefined) => string | undefined} */
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const { url } = await startDev({
    upstream: arg("--upstream", "http://127.0.0.1:8080") ?? "http://127.0.0.1:8080",
    token: arg("--token", process.env.SIGHTLINE_TOKEN) ?? "",
    port: Number(arg("--port", "5173")),
    password: arg("--password", undefined),
  });
  console.log(`dashboard on ${url}`);
}
