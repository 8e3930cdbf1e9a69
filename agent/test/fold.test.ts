import { describe, expect, it } from "vitest";
import { createFolder } from "../src/fold";
import type { EventOfKind } from "../src/protocol.gen";

const err = (message: string, line = 1): EventOfKind<"error"> => ({
  kind: "error",
  id: Math.random().toString(16).slice(2),
  message,
  error_type: "TypeError",
  source: "unhandled",
  source_url: "https://a.example/app.js",
  line,
  column: 5,
  count: 1,
});

describe("error folding", () => {
  it("identical errors become one event with a count", () => {
    const f = createFolder();
    const first = err("x is undefined");
    expect(f.fold(first)).toBe(false);
    for (let i = 0; i < 999; i++) expect(f.fold(err("x is undefined"))).toBe(true);
    expect(first.count).toBe(1000);
  });

  it("different messages or places stay apart", () => {
    const f = createFolder();
    expect(f.fold(err("a"))).toBe(false);
    expect(f.fold(err("b"))).toBe(false);
    expect(f.fold(err("a", 2))).toBe(false);
    expect(f.fold({ ...err("a"), view_id: "other view" })).toBe(false);
  });

  it("once the batch is sent, the next occurrence is a new event", () => {
    const f = createFolder();
    const first = err("a");
    f.fold(first);
    f.reset();
    expect(f.fold(err("a"))).toBe(false);
    expect(first.count).toBe(1);
  });
});
