import { setFlagsFromString } from "node:v8";

/**
 * How far `journeys serve` lets V8's old generation grow past what survived the last full
 * collection before starting the next one: 50%. On a machine with more than a gigabyte or two of
 * memory V8 lets it grow up to fourfold, and the engine promotes a steady stream of state that
 * dies soon after (each executor round's new instances and profiles outlive the scavenges that
 * fall inside the round): firing 10,000 timers a second over 1M pending, no full collection ran
 * for 36 s and the heap went from ~120 MB live to ~500 MB before one did. Measured in
 * docs/benchmarks.md (change 23): peak RSS while firing over 10M pending 1.18 GiB → 711 MiB.
 */
export const SERVE_HEAP_GROWING_PERCENT = 50;

/**
 * Caps the old generation's growth between full collections at `percent`. V8 reads the setting
 * each time a full collection sets the next limit, so it takes effect when called after start-up
 * (Node does not accept `--heap-growing-percent` in NODE_OPTIONS; on the command line it does).
 */
export function limitHeapGrowth(percent: number = SERVE_HEAP_GROWING_PERCENT): void {
  if (!Number.isInteger(percent) || percent < 1) throw new RangeError(`heap growing percent: ${percent}`);
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
