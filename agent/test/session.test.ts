import { describe, expect, it } from "vitest";
import { decodeSession, encodeSession, resolveSession, SESSION_IDLE_MS, SESSION_MAX_MS, type Session } from "../src/session";

const T0 = 1_767_225_600_000;
let n = 0;
const newId = () => (++n).toString(16).padStart(32, "0");
/** The session to use, and whether it is a new one. */
const resolve = (stored: Session | undefined, ...rest: [number, number, () => number, () => string]) => {
  const session = resolveSession(stored, ...rest);
  return { session, renewed: session.id !== stored?.id };
};
const start = (at = T0, rate = 1, random = 0.5) => resolve(undefined, at, rate, () => random, newId);

describe("session rollover", () => {
  it("a new session starts when none is stored", () => {
    const { session, renewed } = start();
    expect(renewed).toBe(true);
    expect(session.start).toBe(T0);
  });

  it("activity within 30 minutes keeps the session and moves its last activity", () => {
    const s = start().session;
    const next = resolve(s, T0 + SESSION_IDLE_MS - 1, 1, Math.random, newId);
    expect(next.renewed).toBe(false);
    expect(next.session.id).toBe(s.id);
    expect(next.session.last).toBe(T0 + SESSION_IDLE_MS - 1);
  });

  it("30 minutes without activity end it", () => {
    const s = start().session;
    const next = resolve(s, T0 + SESSION_IDLE_MS, 1, Math.random, newId);
    expect(next.renewed).toBe(true);
    expect(next.session.id).not.toBe(s.id);
  });

  it("4 hours end it even with constant activity", () => {
    let s: Session = start().session;
    for (let at = T0; at < T0 + SESSION_MAX_MS; at += 10 * 60_000) {
      const next = resolve(s, at, 1, Math.random, newId);
      expect(next.renewed).toBe(false);
      s = next.session;
    }
    const over = resolve(s, T0 + SESSION_MAX_MS, 1, Math.random, newId);
    expect(over.renewed).toBe(true);
  });

  it("a clock that went backwards starts a new session", () => {
    const s = start().session;
    expect(resolve(s, T0 - 1000, 1, Math.random, newId).renewed).toBe(true);
  });
});

describe("sampling decision", () => {
  it("is drawn once per session, with the session rate", () => {
    expect(start(T0, 0.25, 0.2).session.sampled).toBe("sampled");
    expect(start(T0, 0.25, 0.3).session.sampled).toBe(0);
    expect(start(T0, 0, 0).session.sampled).toBe(0);
    expect(start(T0, 1, 0.999).session.sampled).toBe("sampled");
  });

  it("stays with the session while it lives", () => {
    const s = start(T0, 0.5, 0.9).session;
    const next = resolve(s, T0 + 1000, 0.5, () => 0, newId);
    expect(next.session.sampled).toBe(0);
  });
});

describe("storage encoding", () => {
  it("round-trips", () => {
    const s: Session = { id: "0123456789abcdef0123456789abcdef", start: T0, last: T0 + 5, sampled: "kept_for_error" };
    expect(decodeSession(encodeSession(s))).toEqual(s);
  });

  it("reads a session an older agent stored with its view count", () => {
    expect(decodeSession('["0123456789abcdef",1,2,0,41]')).toEqual({ id: "0123456789abcdef", start: 1, last: 2, sampled: 0 });
  });

  it("refuses garbage", () => {
    for (const raw of [null, "", "x", "[]", '["zz",1,2,0]', '["0123456789abcdef",5,1,0]', '["0123456789abcdef",1,2,{}]', "{"]) {
      expect(decodeSession(raw)).toBeUndefined();
    }
  });
});

