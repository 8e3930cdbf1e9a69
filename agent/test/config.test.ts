import { describe, expect, it } from "vitest";
import { resolveConfig, type Options } from "../src/config";
import { errorBody, stringify } from "../src/errors";

describe("init options", () => {
  it("needs a project key", () => {
    expect(resolveConfig({} as Options, "https://rum.example", "https://shop.example")).toBeUndefined();
    expect(resolveConfig(undefined as unknown as Options, "https://rum.example", "https://shop.example")).toBeUndefined();
  });

  it("has private, cookie-less, same-origin-tracing defaults", () => {
    const c = resolveConfig({ projectKey: "pk_1" }, "https://rum.example/", "https://shop.example")!;
    expect(c.ingest).toBe("https://rum.example/ingest/v1/pk_1");
    expect(c).toMatchObject({
      rate: 1,
      keep: [],
      targets: ["https://shop.example"],
      storage: "session",
      consent: "granted",
      allow: [],
      maskText: false,
      dnt: false,
      console: false,
      views: true,
    });
  });

  it("uses the given endpoint and refuses impossible rates", () => {
    const c = resolveConfig({ projectKey: "pk 1", endpoint: "https://c.example//", sessionSampleRate: 7 }, "x", "y")!;
    expect(c.ingest).toBe("https://c.example/ingest/v1/pk%201");
    expect(c.rate).toBe(1);
    expect(resolveConfig({ projectKey: "k", sessionSampleRate: 0 }, "x", "y")!.rate).toBe(0);
    expect(resolveConfig({ projectKey: "k", sessionSampleRate: -1 }, "x", "y")!.rate).toBe(1);
  });
});

describe("error bodies", () => {
  const scrub = (u: string) => u.split("?")[0]!;

  it("keep type, message and stack of an Error, and where it was thrown", () => {
    const err = new TypeError("x is undefined");
    const b = errorBody(err, "unhandled", scrub, { file: "https://a.example/app.js?v=3", line: 12, column: 5.7 });
    expect(b).toMatchObject({ kind: "error", error_type: "TypeError", message: "x is undefined", source: "unhandled", handled: false });
    expect(b.stack).toContain("x is undefined");
    expect(b).toMatchObject({ source_url: "https://a.example/app.js", line: 12, column: 5, count: 1 });
  });

  it("describe thrown non-errors readably, and mark application reports handled", () => {
    expect(errorBody("plain string", "promise", scrub).message).toBe("plain string");
    expect(errorBody({ code: 42 }, "custom", scrub)).toMatchObject({ message: '{"code":42}', handled: true });
    expect(errorBody(undefined, "promise", scrub).message).toBe("(no message)");
    expect(errorBody(null, "unhandled", scrub, { message: "Script error." }).message).toBe("Script error.");
  });

  it("cut absurd messages and stacks", () => {
    const e = new Error("m".repeat(10_000));
    e.stack = "s".repeat(100_000);
    const b = errorBody(e, "unhandled", scrub);
    expect(b.message).toHaveLength(4096);
    expect(b.stack).toHaveLength(16384);
  });

  it("stringify never throws", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(stringify(cyclic)).toBe("[object Object]");
    expect(stringify(10n)).toBe("10");
  });
});
