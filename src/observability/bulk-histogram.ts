import type { Histogram, Registry } from "prom-client";

export interface BulkHistogramConfig<L extends string> {
  name: string;
  help: string;
  /** Upper bounds, ascending, in the metric's base unit. */
  buckets: readonly number[];
  labelNames?: readonly L[];
  registers: readonly Registry[];
}

/** One label set of a BulkHistogram: bucket counts in a typed array, no allocation per value. */
export class HistogramSeries {
  /** Per bucket (the last one is +Inf), not cumulative. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    private readonly bounds: readonly number[],
    readonly labels: Readonly<Record<string, string>>,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records `times` observations of `value` (the same latency for a run of entries, for instance). */
  observe(value: number, times = 1): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + times;
    this.sum += value * times;
    this.count += times;
  }
}

type Sample = {
  value: number;
  labels: Record<string, string | number>;
  /** Rendered after `labels`, as prom-client's own histogram does. */
  sharedLabels: Record<string, string>;
  metricName: string;
};

/**
 * A Prometheus histogram for the hot path. prom-client's Histogram hashes a label object and
 * allocates on every `observe`, about 120 ns; the executor observes tens of thousands of latencies a
 * second, so series here are resolved once and observing is an array increment. It renders
 * through the same registry as every other metric.
 */
export class BulkHistogram<L extends string = never> {
  readonly name: string;
  readonly help: string;
  readonly type = "histogram";
  readonly aggregator = "sum";
  private readonly bounds: readonly number[];
  private readonly labelNames: readonly L[];
  private readonly series = new Map<string, HistogramSeries>();

  constructor(config: BulkHistogramConfig<L>) {
    this.name = config.name;
    this.help = config.help;
    this.bounds = [...config.buckets].sort((a, b) => a - b);
    this.labelNames = config.labelNames ?? [];
    // The registry only reads name, help, type and get(): it accepts any metric of that shape,
    // though its types list prom-client's own classes.
    for (const registry of config.registers) registry.registerMetric(this as unknown as Histogram<L>);
  }

  /** The series of a label set, created on first use; keep it to observe without a lookup. */
  labels(values: Readonly<Record<L, string>>): HistogramSeries {
    let key = "";
    for (const name of this.labelNames) key += `${values[name]}\u001f`;
    let series = this.series.get(key);
    if (!series) {
      const labels: Record<string, string> = {};
      for (const name of this.labelNames) labels[name] = values[name];
      series = new HistogramSeries(this.bounds, labels);
      this.series.set(key, series);
    }
    return series;
  }

  /** The metric in prom-client's exposition shape (cumulative buckets, then sum and count). */
  async get(): Promise<{
    name: string;
    help: string;
    type: "histogram";
    aggregator: "sum";
    values: Sample[];
  }> {
    const values: Sample[] = [];
    for (const series of this.series.values()) {
      const sharedLabels = series.labels;
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += series.counts[i] as number;
        const le = i < this.bounds.length ? (this.bounds[i] as number) : "+Inf";
        values.push({ value: cumulative, labels: { le }, sharedLabels, metricName: `${this.name}_bucket` });
      }
      values.push({ value: series.sum, labels: {}, sharedLabels, metricName: `${this.name}_sum` });
      values.push({ value: series.count, labels: {}, sharedLabels, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Zeroes every series; handles kept by callers stay valid. */
  reset(): void {
    for (const series of this.series.values()) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}
