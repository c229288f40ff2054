import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRateLimitReset, parseRetryAfter } from "./retry-after.js";

describe("retry-after", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");

  it("reads delta seconds", () => {
    assert.equal(parseRetryAfter("30", now), 30_000);
    assert.equal(parseRetryAfter(" 1.5 ", now), 1500);
  });

  it("reads an HTTP-date relative to now, never negative", () => {
    assert.equal(parseRetryAfter("Wed, 01 Jan 2025 00:02:00 GMT", now), 120_000);
    assert.equal(parseRetryAfter("Tue, 31 Dec 2024 23:00:00 GMT", now), 0);
  });

  it("ignores absent or unreadable values", () => {
    assert.equal(parseRetryAfter(null, now), undefined);
    assert.equal(parseRetryAfter("soon", now), undefined);
  });

  it("reads X-RateLimit-Reset as epoch seconds or as seconds from now", () => {
    assert.equal(parseRateLimitReset(String(now / 1000 + 42), now), 42_000);
    assert.equal(parseRateLimitReset("7", now), 7000);
  });
});
