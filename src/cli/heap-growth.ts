import { constants, PerformanceObserver } from "node:perf_hooks";
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";

/**
 * How far `journeys serve` lets V8's old generation grow past what survived the last full
 * collection before starting the next one: half again, and optionally at least a floor
 * (`--heap-headroom`, off by default).
 *
 * The engine promotes a steady stream of state that dies soon after (each executor round's new
 * instances and profiles outlive the scavenges that fall inside the round). Left to itself on a
 * machine with gigabytes to spare, V8 lets the old generation grow up to fourfold: firing 10,000
 * timers a second over 10M pending, RSS peaked at 1.18 GiB (docs/benchmarks.md, change 23).
 * Half again alone collects a small heap often: with 1M pending (~85 MB live), a full
 * collection every second while 300,000 users entered a wait and every 3 s while their timers
 * fired at 10,000/s. A 256 MiB floor took that minute's full collections from 40-41 to 9, for
 * ~280 MiB more RSS at its peak, and the lateness tail moved less than this machine's noise
 * (change 28): the floor is a setting, not the default.
 */
export const SERVE_HEAP_GROWING_PERCENT = 50;
export const SERVE_HEAP_HEADROOM_BYTES = 0;

/** V8's own largest growth factor on a big machine is 4: the floor never asks for more. */
const MAX_PERCENT = 300;

/** Spaces of the old generation, whose size V8's limit is about. */
const OLD_GENERATION = new Set([
  "old_space",
  "code_space",
  "map_space",
  "large_object_space",
  "code_large_object_space",
]);

/**
 * The growth to ask for when `liveBytes` survived the last full collection: `percent`, raised
 * so the headroom is at least `headroomBytes`, but never past three times what survived.
 */
export function growingPercent(liveBytes: number, percent: number, headroomBytes: number): number {
  if (headroomBytes <= 0 || liveBytes <= 0) return headroomBytes > 0 ? MAX_PERCENT : percent;
  return Math.max(percent, Math.min(MAX_PERCENT, Math.ceil((headroomBytes / liveBytes) * 100)));
}

/**
 * Caps the old generation's growth between full collections at `percent` of what survived the
 * last one, but never below `headroomBytes` (0: the percentage alone). V8 reads the setting each
 * time a full collection sets the next limit, so it takes effect when called after start-up
 * (Node does not accept `--heap-growing-percent` in NODE_OPTIONS; on the command line it does),
 * and after each full collection the setting is recomputed from what it left. Returns a
 * function that stops following the heap (the last setting stays).
 */
export function limitHeapGrowth(
  percent: number = SERVE_HEAP_GROWING_PERCENT,
  headroomBytes: number = SERVE_HEAP_HEADROOM_BYTES,
): () => void {
  if (!Number.isInteger(percent) || percent < 1) throw new RangeError(`heap growing percent: ${percent}`);
  if (!Number.isFinite(headroomBytes) || headroomBytes < 0)
    throw new RangeError(`heap headroom: ${headroomBytes}`);
  let current = 0;
  const follow = (): void => {
    const wanted = growingPercent(oldGenerationBytes(), percent, headroomBytes);
    if (wanted === current) return;
    setFlagsFromString(`--heap-growing-percent=${wanted}`);
    current = wanted;
  };
  follow();
  if (headroomBytes === 0) return () => undefined;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        follow();
        return;
      }
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  return () => observer.disconnect();
}

function oldGenerationBytes(): number {
  let bytes = 0;
  for (const space of getHeapSpaceStatistics()) {
    if (OLD_GENERATION.has(space.space_name)) bytes += space.space_used_size;
  }
  return bytes;
}
