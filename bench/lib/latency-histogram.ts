import { build, type Histogram } from "hdr-histogram-js";

/** Percentiles of a latency distribution, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/**
 * An HDR histogram of latencies recorded in microseconds (3 significant digits, up to an hour),
 * summarised in milliseconds. Negative values (clock skew between two readings) count as 0.
 */
export class LatencyHistogram {
  private readonly histogram: Histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });

  recordMs(ms: number): void {
    const us = Math.round(ms * 1000);
    this.histogram.recordValue(Math.min(Math.max(us, 0), 3_600_000_000));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  reset(): void {
    this.histogram.reset();
  }

  summary(): LatencySummary {
    const h = this.histogram;
    const at = (p: number): number => (h.totalCount === 0 ? 0 : h.getValueAtPercentile(p) / 1000);
    return {
      count: h.totalCount,
      p50: at(50),
      p95: at(95),
      p99: at(99),
      p999: at(99.9),
      max: h.totalCount === 0 ? 0 : h.maxValue / 1000,
      mean: h.totalCount === 0 ? 0 : h.mean / 1000,
    };
  }
}

/** An empty summary, for a measurement that could not be taken. */
export const NO_LATENCY: LatencySummary = { count: 0, p50: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: 0 };
