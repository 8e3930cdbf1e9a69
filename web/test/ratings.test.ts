import { describe, expect, it } from "vitest";

import { RATING_COLOUR, RATING_LABEL, RATING_SYMBOL, changeClass, rating } from "../src/ratings";
import { safeHref } from "../src/safe";
import { sqlWhere } from "../src/sqlfilter";

describe("ratings", () => {
  it("rate at the Core Web Vitals thresholds (good ≤ first, poor > second)", () => {
    expect(rating("lcp", 2500)).toBe("good");
    expect(rating("lcp", 2500.1)).toBe("needs_improvement");
    expect(rating("lcp", 4000)).toBe("needs_improvement");
    expect(rating("lcp", 4000.1)).toBe("poor");
    expect(rating("inp", 200)).toBe("good");
    expect(rating("inp", 501)).toBe("poor");
    expect(rating("cls", 0.1)).toBe("good");
    expect(rating("cls", 0.26)).toBe("poor");
    expect(rating("fcp", 1801)).toBe("needs_improvement");
    expect(rating("ttfb", 1801)).toBe("poor");
    expect(rating("load", 99_999)).toBeUndefined();
    expect(rating("lcp", null)).toBeUndefined();
  });

  it("never tell ratings apart by colour alone", () => {
    const ratings = ["good", "needs_improvement", "poor"] as const;
    expect(new Set(ratings.map((r) => RATING_LABEL[r])).size).toBe(3);
    expect(new Set(ratings.map((r) => RATING_SYMBOL[r])).size).toBe(3);
    // Distinct in lightness too (greyscale, any colour-vision deficiency): relative luminance.
    const lum = (hex: string) => {
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const l = ratings.map((r) => lum(RATING_COLOUR[r])).sort();
    expect(l[1] - l[0]).toBeGreaterThan(0.03);
    expect(l[2] - l[1]).toBeGreaterThan(0.03);
  });

  it("colour a change by whether it improved", () => {
    expect(changeClass(true)).toBe("better");
    expect(changeClass(false)).toBe("worse");
    expect(changeClass(null)).toBe("neutral");
  });
});

describe("links", () => {
  it("only http(s) URLs become links", () => {
    expect(safeHref("https://shop.example.com/a?b=1")).toBe("https://shop.example.com/a?b=1");
    expect(safeHref("http://x.test/")).toBe("http://x.test/");
    for (const bad of ["javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:x", "/relative", "//evil.test/x", "<img src=x onerror=alert(1)>", "", null]) {
      expect(safeHref(bad as string)).toBeUndefined();
    }
  });
});

describe("SQL filters", () => {
  it("quote values and skip what is not a column", () => {
    const { where, skipped } = sqlWhere(
      {
        page: "network",
        range: "24h",
        env: "prod",
        filters: [
          { dim: "country", op: "in", values: ["US", "x' OR '1'='1"] },
          { dim: "route", op: "prefix", values: ["/p'"] },
          { dim: "browser", op: "ne", values: ["Edge"] },
          { dim: "user_attribute:plan", op: "eq", values: ["pro"] },
          { dim: "1=1; DROP", op: "eq", values: ["x"] },
        ],
        params: {},
      },
      { from: 1000, to: 2000 },
    );
    expect(where).toBe(
      "timestamp >= to_timestamp_millis(1000) AND timestamp < to_timestamp_millis(2000) AND country IN ('US', 'x'' OR ''1''=''1') AND starts_with(route, '/p''') AND (browser IS NULL OR browser NOT IN ('Edge')) AND environment IN ('prod')",
    );
    expect(skipped).toEqual(["user_attribute:plan", "1=1; DROP"]);
  });
});
