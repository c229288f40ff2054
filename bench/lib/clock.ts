import { performance } from "node:perf_hooks";

/**
 * Monotonic milliseconds (with a fraction) that every process on the machine agrees on:
 * CLOCK_MONOTONIC is system-wide on Linux, so a client can stamp an intended send time and the
 * server can subtract it.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** The wall clock's offset from `performance.now()`, and when it was last checked. */
let wallOffset = Date.now() - performance.now();
let wallCheckedAt = performance.now();

/**
 * Wall-clock epoch milliseconds with a sub-millisecond fraction (timer due times are epoch ms).
 * `performance.timeOrigin + performance.now()` alone follows the monotonic clock from the
 * process's start, and misses any later step or slew of the wall clock (a VM paused and resumed,
 * NTP), by which the engine fires timers: a 35-minute timers run recorded every committed
 * lateness as 0, its epoch clock behind the wall clock by more than the lateness. The offset is
 * checked against `Date.now()` every 100 ms and taken afresh when they differ by a millisecond
 * or more (`Date.now()` has whole milliseconds only, so a smaller difference is its truncation).
 */
export function epochMs(): number {
  const now = performance.now();
  if (now - wallCheckedAt >= 100) {
    wallCheckedAt = now;
    const offset = Date.now() - now;
    if (Math.abs(offset - wallOffset) >= 1) wallOffset = offset;
  }
  return now + wallOffset;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
