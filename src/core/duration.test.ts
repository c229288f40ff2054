import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { durationMs, formatDuration, parseDuration } from "./duration.js";

describe("parseDuration", () => {
  it("reads each unit", () => {
    assert.equal(parseDuration("250ms"), 250);
    assert.equal(parseDuration("30s"), 30_000);
    assert.equal(parseDuration("15m"), 900_000);
    assert.equal(parseDuration("2h"), 7_200_000);
    assert.equal(parseDuration("7d"), 604_800_000);
    assert.equal(parseDuration("1w"), 604_800_000);
  });

  it("adds chained parts, in any order", () => {
    assert.equal(parseDuration("1h30m"), 5_400_000);
    assert.equal(parseDuration("1d12h"), 129_600_000);
    assert.equal(parseDuration("30m1h"), 5_400_000);
  });

  it("reads a leading minus as a negative duration (attribute offsets)", () => {
    assert.equal(parseDuration("-3d"), -259_200_000);
  });

  it("reads zero", () => {
    assert.equal(parseDuration("0s"), 0);
  });

  it("refuses anything else", () => {
    for (const text of ["", "30", "m", "2 h", "1.5h", "2hours", "+1h", "1y", "-", "1h-30m", " 1h"]) {
      assert.equal(parseDuration(text), undefined, JSON.stringify(text));
    }
  });

  it("refuses values that are not strings", () => {
    assert.equal(parseDuration(30 as unknown as string), undefined);
  });
});

describe("durationMs", () => {
  it("is parseDuration for definitions already validated", () => {
    assert.equal(durationMs("2h"), 7_200_000);
  });

  it("throws a RangeError naming the text otherwise", () => {
    assert.throws(() => durationMs("soon"), { name: "RangeError", message: "invalid duration: soon" });
  });
});

describe("formatDuration", () => {
  it("writes the largest units first, skipping zeros", () => {
    assert.equal(formatDuration(0), "0s");
    assert.equal(formatDuration(45_000), "45s");
    assert.equal(formatDuration(7_200_000), "2h");
    assert.equal(formatDuration(97_200_000), "1d 3h");
    assert.equal(formatDuration(90_061_000), "1d 1h 1m 1s");
  });

  it("writes milliseconds only below a second, and signs negatives", () => {
    assert.equal(formatDuration(250), "250ms");
    assert.equal(formatDuration(1_250), "1s");
    assert.equal(formatDuration(-3_600_000), "-1h");
  });
});
