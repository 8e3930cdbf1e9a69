import { describe, expect, it } from "vitest";
import { matchesTarget, routeKey, scrubUrl, site } from "../src/url";

describe("scrubUrl", () => {
  it("drops the query string, the fragment and credentials", () => {
    expect(scrubUrl("https://user:pw@shop.example.com/cart?email=a@b.c&token=x#pay")).toBe("https://shop.example.com/cart");
  });

  it("keeps only allow-listed parameters", () => {
    expect(scrubUrl("https://a.example/p?utm_source=n&coupon=S&page=2", ["utm_source", "page"])).toBe(
      "https://a.example/p?utm_source=n&page=2",
    );
  });

  it("resolves relative URLs against the page", () => {
    expect(scrubUrl("/api/cart?sku=1", [], "https://shop.example.com/products/1")).toBe("https://shop.example.com/api/cart");
  });

  it("keeps only the scheme of non-http URLs", () => {
    expect(scrubUrl("data:text/html,<script>alert(1)</script>")).toBe("data:");
    expect(scrubUrl("blob:https://a.example/uuid")).toBe("blob:");
  });

  it("gives what the URL parser gives, also when it skips parsing", () => {
    for (const u of [
      "https://shop.example.com/",
      "https://shop.example.com/a/b-c_d~e.html",
      "http://127.0.0.1:8080/x/",
      "http://a.example:80/x",
      "https://a.example:443/x",
      "https://a.example",
      "https://A.example/x",
      "https://a.example/x/../y",
      "https://a.example/caf\u00e9",
      "https://a.example/a%20b",
      "https://a.example/x?",
      "https://user@a.example/x",
      "http://127.0.0.1/x",
      "http://127.000.0.1/x",
      "http://0x7f.1/x",
      "http://2130706433/x",
      "http://1.2.3/x",
      "http://a.0xfg/x",
      "http://a.example./x",
      "http://a.b2/x",
      "http://a.2b/x",
    ])
      expect(scrubUrl(u)).toBe(new URL(u).origin + new URL(u).pathname);
    // Not URLs at all: the same answer as the parser's fallback.
    for (const u of ["http://256.1.1.1/x", "http://1.1.1.4294967296/x", "http://a.0x1f/x"])
      expect(scrubUrl(u)).toBe(u);
  });

  it("keeps ports and cuts absurd URLs", () => {
    expect(scrubUrl("http://127.0.0.1:8080/x?y=1")).toBe("http://127.0.0.1:8080/x");
    expect(scrubUrl("https://a.example/" + "x".repeat(5000)).length).toBe(2048);
  });
});

describe("matchesTarget (traceparent targets)", () => {
  const page = "https://shop.example.com/";
  it("an origin matches itself only", () => {
    expect(matchesTarget("/api", ["https://shop.example.com"], page)).toBe(true);
    expect(matchesTarget("https://api.example.com/x", ["https://shop.example.com"], page)).toBe(false);
    expect(matchesTarget("https://shop.example.com.evil.net/x", ["https://shop.example.com"], page)).toBe(false);
    expect(matchesTarget("http://shop.example.com/x", ["https://shop.example.com"], page)).toBe(false);
  });

  it("an origin with a path is a prefix", () => {
    expect(matchesTarget("https://api.example.com/v1/cart", ["https://api.example.com/v1/"], page)).toBe(true);
    expect(matchesTarget("https://api.example.com/v2/cart", ["https://api.example.com/v1/"], page)).toBe(false);
  });

  it("regexps test the absolute URL", () => {
    expect(matchesTarget("/graphql", [/\/graphql$/], page)).toBe(true);
  });

  it("nothing matches an empty list", () => {
    expect(matchesTarget("/api", [], page)).toBe(false);
  });
});

describe("routeKey", () => {
  it("is the path, ignoring the query", () => {
    expect(routeKey("https://a.example/p?x=1")).toBe(routeKey("https://a.example/p?x=2"));
    expect(routeKey("https://a.example/p")).not.toBe(routeKey("https://a.example/q"));
  });

  it("includes hash-router paths but not anchors", () => {
    expect(routeKey("https://a.example/#/cart")).toBe("/#/cart");
    expect(routeKey("https://a.example/#!/cart")).toBe("/#!/cart");
    expect(routeKey("https://a.example/doc#section")).toBe("/doc");
  });
});

describe("site", () => {
  it("is the registrable part of a host", () => {
    expect(site("cdn.shop.example.com")).toBe("example.com");
    expect(site("www.example.co.uk")).toBe("example.co.uk");
    expect(site("localhost")).toBe("localhost");
  });
});
