import { DateTime, IANAZone } from "luxon";
import type { Millis } from "./state.js";
import { localToUtc, zoneOffset } from "./zone-offsets.js";

/**
 * Wall-clock arithmetic in a user's timezone (DST-correct). Pure: every function takes the
 * moment it reasons about; nothing reads the system clock.
 */

const DAY = 86_400_000;
const LOCAL_TIME = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** Seconds since local midnight for `HH:MM` or `HH:MM:SS`; undefined when it does not parse. */
export function parseLocalTime(text: string): number | undefined {
  const match = LOCAL_TIME.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3] ?? 0);
}

/** Whether `zone` is an IANA timezone name this runtime knows. */
export function isValidTimezone(zone: string): boolean {
  return typeof zone === "string" && zone.length > 0 && IANAZone.isValidZone(zone);
}

/**
 * The first moment at or after `from` when the clock in `zone` reads `secondsOfDay`. On a day
 * when that time does not exist (spring forward) it is the first moment after the gap; when it
 * exists twice (fall back) it is the first of the two.
 */
export function nextLocalTime(from: Millis, secondsOfDay: number, zone: string): Millis {
  const wall = from + zoneOffset(zone, from);
  const midnight = Math.floor(wall / DAY) * DAY;
  for (let day = 0; day < 3; day++) {
    const at = localToUtc(zone, midnight + day * DAY + secondsOfDay * 1000);
    if (at >= from) return at;
  }
  // Unreachable for valid inputs: three consecutive days always contain the time.
  return from + DAY;
}

/** Seconds since local midnight of a moment in `zone`. */
export function secondsOfDay(at: Millis, zone: string): number {
  const wall = at + zoneOffset(zone, at);
  return Math.floor((((wall % DAY) + DAY) % DAY) / 1000);
}

/**
 * When a quiet-hours window `[from, to)` (local times, possibly spanning midnight) that contains
 * `at` ends; undefined when `at` is outside the window.
 */
export function quietHoursEnd(at: Millis, from: number, to: number, zone: string): Millis | undefined {
  if (from === to) return undefined;
  const now = secondsOfDay(at, zone);
  const inside = from < to ? now >= from && now < to : now >= from || now < to;
  return inside ? nextLocalTime(at, to, zone) : undefined;
}

/**
 * A profile attribute read as a moment: epoch milliseconds, an ISO timestamp, or a date
 * (`2026-12-01`, midnight in `zone`). Undefined when it is none of these.
 */
export function attributeMoment(value: unknown, zone: string): Millis | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value !== "string") return undefined;
  const parsed = DATE_ONLY.test(value)
    ? DateTime.fromISO(value, { zone })
    : DateTime.fromISO(value, { setZone: true });
  return parsed.isValid ? parsed.toMillis() : undefined;
}

/** `2026-11-21 09:00` in `zone`, for journal lines. */
export function formatLocal(at: Millis, zone: string): string {
  return DateTime.fromMillis(at, { zone }).toFormat("yyyy-LL-dd HH:mm:ss");
}
