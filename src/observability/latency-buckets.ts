/**
 * Histogram buckets, in seconds or counts. Kept in one place so the dashboards' quantiles and the
 * alert thresholds (docs/observability.md) line up with real bucket edges.
 */

/** Ingest to commit, ingest to provider: milliseconds when healthy, minutes when backed up. */
export const LATENCY_SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
] as const;

/** Timer lateness: a timer is due to the millisecond, so the small end matters most. */
export const LATENESS_SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 60, 300] as const;

/** Provider calls: tens of milliseconds to the provider's own timeout. */
export const CALL_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

/** Inputs per executor batch (the default batch size is 1000). */
export const BATCH_SIZES = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000] as const;

/** Executor batch duration, read to commit. */
export const BATCH_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5] as const;
