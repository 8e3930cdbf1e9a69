import { describe, expect, it } from "vitest";
import { replay } from "../src/snippet";

describe("snippet queue replay", () => {
  it("replays queued calls in order with their arguments", () => {
    const calls: unknown[][] = [];
    const api = {
      init: (o: unknown) => calls.push(["init", o]),
      addEvent: (...a: unknown[]) => calls.push(["addEvent", ...a]),
    };
    // The snippet pushes `arguments` objects.
    function queued(..._a: unknown[]) {
      // eslint-disable-next-line prefer-rest-params
      return arguments;
    }
    const ran = replay([queued("init", { projectKey: "pk" }), queued("addEvent", "signup", 1, { plan: "pro" })], api);
    expect(ran).toBe(2);
    expect(calls).toEqual([
      ["init", { projectKey: "pk" }],
      ["addEvent", "signup", 1, { plan: "pro" }],
    ]);
  });

  it("skips unknown methods and survives throwing ones", () => {
    const seen: string[] = [];
    const api = {
      boom: () => {
        throw new Error("no");
      },
      ok: () => seen.push("ok"),
    };
    expect(replay([["nope"], ["boom"], [42], ["ok"]], api)).toBe(1);
    expect(seen).toEqual(["ok"]);
  });

  it("accepts a missing queue", () => {
    expect(replay(undefined, {})).toBe(0);
  });
});
