import type { BenchEvent, Workload } from "../workload.js";
import { Prng } from "./prng.js";

/** Share of the latency scenario's traffic that is probe events (the rest is the workload mix). */
export const PROBE_SHARE = 0.05;
/** Probe users get nothing but probes, so a delivery in a batch maps to its probe. */
export const PROBE_USERS = 50_000;

/**
 * The latency scenario's events at one rate: the workload's mix with probes (`bench_probe`, to
 * `probe-*` users) drawn in. `pass` picks another stream of the mix (the in-process pass runs
 * after the HTTP one: with the same stream it would find exactly the users the first one cached).
 */
export function latencyEvents(
  workload: Workload,
  rate: number,
  pass: "http" | "in-process",
): () => BenchEvent {
  const stream = workload.events(7000 + rate + (pass === "in-process" ? 500 : 0));
  const prng = new Prng(rate);
  let probes = 0;
  return () => {
    if (prng.float() < PROBE_SHARE) {
      return { userId: `probe-${probes++ % PROBE_USERS}`, name: "bench_probe", properties: {} };
    }
    return stream.next();
  };
}
