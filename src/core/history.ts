import type { EventHistory, Millis, Profile } from "./state.js";

/**
 * The per-user event history summary that `performed` conditions read: per event name (or per
 * tracked event+filter), a total, first/last seen, and minute buckets. Bounded: at most
 * HISTORY_BUCKETS buckets per key (older buckets merge, so old activity is coarser) and at most
 * HISTORY_KEYS keys per user (the least recently seen is dropped).
 */

export const HISTORY_BUCKETS = 48;
export const HISTORY_KEYS = 128;
/** The width of a history bucket. */
export const MINUTE_MS = 60_000;

/** A new history entry with one more occurrence at `at` (the input entry is not modified). */
export function recordOccurrence(entry: EventHistory | undefined, at: Millis): EventHistory {
  const minute = Math.floor(at / MINUTE_MS);
  if (!entry) return { total: 1, first: at, last: at, buckets: [minute, 1] };
  const buckets = entry.buckets.slice();
  insertBucket(buckets, minute);
  if (buckets.length > HISTORY_BUCKETS * 2) mergeOldest(buckets);
  return {
    total: entry.total + 1,
    first: Math.min(entry.first, at),
    last: Math.max(entry.last, at),
    buckets,
  };
}

function insertBucket(buckets: number[], minute: number): void {
  // Events mostly arrive in order: scan from the newest bucket.
  let i = buckets.length - 2;
  while (i >= 0 && (buckets[i] as number) > minute) i -= 2;
  if (i >= 0 && buckets[i] === minute) {
    buckets[i + 1] = (buckets[i + 1] as number) + 1;
    return;
  }
  buckets.splice(i + 2, 0, minute, 1);
}

/** Folds the two oldest buckets together, keeping the older minute: old counts lose precision, never mass. */
function mergeOldest(buckets: number[]): void {
  buckets[1] = (buckets[1] as number) + (buckets[3] as number);
  buckets.splice(2, 2);
}

/** Occurrences at or after `since` (all of them when `since` is undefined). */
export function countSince(entry: EventHistory | undefined, since: Millis | undefined): number {
  if (!entry) return 0;
  if (since === undefined) return entry.total;
  const from = Math.floor(since / MINUTE_MS);
  let count = 0;
  for (let i = entry.buckets.length - 2; i >= 0; i -= 2) {
    if ((entry.buckets[i] as number) < from) break;
    count += entry.buckets[i + 1] as number;
  }
  return count;
}

/** The oldest minute bucket `countSince(entry, since)` counts, or undefined when it counts none. */
export function oldestMinuteSince(entry: EventHistory | undefined, since: Millis): number | undefined {
  if (!entry) return undefined;
  const from = Math.floor(since / MINUTE_MS);
  let oldest: number | undefined;
  for (let i = entry.buckets.length - 2; i >= 0; i -= 2) {
    if ((entry.buckets[i] as number) < from) break;
    oldest = entry.buckets[i] as number;
  }
  return oldest;
}

/** The profile's history with occurrences recorded under each key (copy-on-write). */
export function recordHistory(
  history: Profile["history"],
  keys: readonly string[],
  at: Millis,
): Profile["history"] {
  const next: Profile["history"] = { ...history };
  for (const key of keys) next[key] = recordOccurrence(next[key], at);
  const names = Object.keys(next);
  if (names.length > HISTORY_KEYS) {
    names.sort((a, b) => (next[a] as EventHistory).last - (next[b] as EventHistory).last);
    for (const name of names.slice(0, names.length - HISTORY_KEYS)) delete next[name];
  }
  return next;
}
