import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DateTime } from "luxon";
import { nextLocalTime, quietHoursEnd, secondsOfDay } from "./clock-time.js";

const ZONES = [
  "UTC",
  "Europe/Paris",
  "America/New_York",
  "Asia/Tokyo",
  "Australia/Lord_Howe",
  "Asia/Kolkata",
  "America/Santiago",
  "Pacific/Chatham",
];

/** The reference: luxon's wall-clock arithmetic; `exact` is false where the time falls in a DST gap. */
function referenceNext(from: number, seconds: number, zone: string): { at: number; exact: boolean } {
  const start = DateTime.fromMillis(from, { zone });
  for (let day = 0; day < 3; day++) {
    const candidate = start.plus({ days: day }).set({
      hour: Math.floor(seconds / 3600),
      minute: Math.floor((seconds % 3600) / 60),
      second: seconds % 60,
      millisecond: 0,
    });
    const exact = candidate.hour * 3600 + candidate.minute * 60 + candidate.second === seconds;
    if (candidate.toMillis() >= from) return { at: candidate.toMillis(), exact };
  }
  return { at: Number.NaN, exact: false };
}

describe("local wall-clock arithmetic", () => {
  it("agrees with luxon on the next local time of day, across zones and years", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
        fc.integer({ min: 0, max: 86_399 }),
        (zone, from, seconds) => {
          const expected = referenceNext(from, seconds, zone);
          const actual = nextLocalTime(from, seconds, zone);
          assert.ok(actual >= from, "never before `from`");
          const what = `${zone} ${new Date(from).toISOString()} ${seconds}`;
          // In a gap luxon moves the time forward by the gap's length; we take the gap's end: within an hour.
          if (expected.exact && actual !== expected.at) {
            // A wall time that exists twice (fall back): luxon sometimes picks the second; we take the first.
            const local = DateTime.fromMillis(actual, { zone });
            assert.equal(local.hour * 3600 + local.minute * 60 + local.second, seconds, what);
            assert.ok(actual < expected.at && expected.at - actual <= 3_600_000, what);
          } else if (expected.exact) assert.equal(actual, expected.at, what);
          else if (Math.abs(actual - expected.at) > 3_600_000) {
            // Today's time fell in the gap, which we map to the gap's end; `from` is already past
            // that end (luxon shifts it later, past `from`): the next one is tomorrow's, which exists.
            const local = DateTime.fromMillis(actual, { zone });
            assert.equal(local.hour * 3600 + local.minute * 60 + local.second, seconds, what);
            assert.ok(expected.at - from < 3_600_000 && actual > expected.at, what);
            assert.ok(actual - expected.at <= 26 * 3_600_000, what);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("agrees with luxon on the seconds of the local day", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
        (zone, at) => {
          const local = DateTime.fromMillis(at, { zone });
          assert.equal(secondsOfDay(at, zone), local.hour * 3600 + local.minute * 60 + local.second);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("a skipped time whose gap end is already past waits for the next day", () => {
    // Chatham skips 02:45-03:45 on 2027-09-26; at 03:45:00.001 today's 02:45:01 (mapped to the
    // gap's end, 03:45:00) has passed: the next 02:45:01 is on the 27th (fast-check counterexample).
    assert.equal(nextLocalTime(1821880800001, 9901, "Pacific/Chatham"), 1821963601000);
  });

  it("a time skipped by the spring change is the first moment after the gap", () => {
    // 2026-03-08 02:30 does not exist in New York: clocks jump from 02:00 EST to 03:00 EDT (07:00Z).
    assert.equal(
      nextLocalTime(Date.UTC(2026, 2, 8, 5, 0), 2.5 * 3600, "America/New_York"),
      Date.UTC(2026, 2, 8, 7, 0),
    );
  });

  it("a time that exists twice is the first of the two", () => {
    // 2026-11-01 01:30 happens twice in New York: first at 05:30Z (EDT), again at 06:30Z (EST).
    assert.equal(
      nextLocalTime(Date.UTC(2026, 10, 1, 4, 0), 1.5 * 3600, "America/New_York"),
      Date.UTC(2026, 10, 1, 5, 30),
    );
  });

  it("a repeated time in a zone with a 45-minute offset is the first of the two", () => {
    // 2024-04-07 02:45 happens twice in Chatham: at 13:00Z (+13:45) and again at 14:00Z (+12:45).
    assert.equal(
      nextLocalTime(Date.UTC(2024, 3, 5, 14, 0), 2.75 * 3600, "Pacific/Chatham"),
      Date.UTC(2024, 3, 6, 13, 0),
    );
  });

  it("quiet hours spanning midnight end at the local end time", () => {
    const at = Date.UTC(2026, 5, 1, 21, 30); // 23:30 in Paris (UTC+2)
    assert.equal(quietHoursEnd(at, 21 * 3600, 8 * 3600, "Europe/Paris"), Date.UTC(2026, 5, 2, 6, 0));
    assert.equal(quietHoursEnd(Date.UTC(2026, 5, 1, 10, 0), 21 * 3600, 8 * 3600, "Europe/Paris"), undefined);
  });
});
