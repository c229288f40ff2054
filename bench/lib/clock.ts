import { performance } from "node:perf_hooks";

/**
 * Monotonic milliseconds (with a fraction) that every process on the machine agrees on:
 * CLOCK_MONOTONIC is system-wide on Linux, so a client can stamp an intended send time and the
 * server can subtract it.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Wall-clock epoch milliseconds with a sub-millisecond fraction (timer due times are epoch ms). */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
