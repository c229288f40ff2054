import type { BenchEvent } from "../workload.js";
import { monotonicMs, sleep } from "./clock.js";
import type { HttpClient } from "./http-client.js";
import { LatencyHistogram, type LatencySummary } from "./latency-histogram.js";

/**
 * An open-loop sender: event k is due at `start + k / rate` whatever happened to earlier
 * requests, and carries that intended time in `properties._t`. Every ~1 ms the events that
 * came due are sent in one request without waiting for earlier ones, so a slow server shows
 * up as latency measured from the intended time instead of as a quietly lower send rate
 * (no coordinated omission).
 */
export interface OpenLoopOptions {
  rate: number;
  /** Monotonic time (`monotonicMs`) of the first intended send; default: 20 ms from the call. */
  startAt?: number;
  durationMs: number;
  /** Largest request; a longer stall splits what came due into several requests. */
  maxBatch: number;
  /** The k-th event (without `_t`). */
  event: (k: number) => BenchEvent;
  /** Called at this offset into the run (e.g. to start recording after warm-up). */
  mark?: { atMs: number; run: (markAt: number) => void | Promise<void> };
}

export interface OpenLoopResult {
  sent: number;
  /** Requests not accepted. */
  errors: number;
  /** Intended send time to the acceptance (202), per event, over events due after the mark. */
  ack: LatencyHistogram;
  /** How far behind schedule the sender itself fell at worst (ms): a client-side limit. */
  maxSendDelayMs: number;
  /**
   * Intended send time to the request leaving the sender, per event, over events due after the
   * mark: the part of every other figure the load generator adds by sharing the machine.
   */
  send: LatencyHistogram;
  /** From the first intended send to the last request sent. */
  sendingMs: number;
  /** Until the last answer. */
  elapsedMs: number;
}

/** An open loop's result with its histograms summarised (what crosses the bench's IPC). */
export interface OpenLoopSummary {
  sent: number;
  errors: number;
  /** Intended send time to the acceptance (HTTP: the 202; in-process: `Engine.ingest` resolving). */
  ack: LatencySummary;
  /** Intended send time to the request leaving the sender: the loop's own lateness. */
  send: LatencySummary;
  maxSendDelayMs: number;
  sendingMs: number;
}

export function summarizeOpenLoop(result: OpenLoopResult): OpenLoopSummary {
  const { sent, errors, maxSendDelayMs, sendingMs } = result;
  return { sent, errors, ack: result.ack.summary(), send: result.send.summary(), maxSendDelayMs, sendingMs };
}

/** Sends a request's events to `POST /v1/events`; accepted when answered 202. */
export function httpSender(client: HttpClient): (events: BenchEvent[]) => Promise<boolean> {
  return (events) =>
    client.post("/v1/events", JSON.stringify({ events })).then((response) => response.status === 202);
}

/**
 * Runs the loop; `send` delivers one request's events and resolves true when they were accepted
 * (over HTTP: answered 202; in-process: `Engine.ingest` resolved).
 */
export async function openLoop(
  send: (events: BenchEvent[]) => Promise<boolean>,
  options: OpenLoopOptions,
): Promise<OpenLoopResult> {
  const interval = 1000 / options.rate;
  const total = Math.floor((options.rate * options.durationMs) / 1000);
  const ack = new LatencyHistogram();
  const lateness = new LatencyHistogram();
  const start = options.startAt ?? monotonicMs() + 20;
  const markAt = start + (options.mark?.atMs ?? 0);
  let marked = options.mark === undefined;
  let sent = 0;
  let errors = 0;
  let maxSendDelayMs = 0;
  let lastSendAt = start;
  const inFlight = new Set<Promise<void>>();
  while (sent < total) {
    const now = monotonicMs();
    if (!marked && now >= markAt) {
      marked = true;
      await options.mark?.run(markAt);
      continue;
    }
    const due = Math.min(total, Math.floor((now - start) / interval) + 1);
    if (due > sent) {
      maxSendDelayMs = Math.max(maxSendDelayMs, now - (start + sent * interval));
      for (let from = sent; from < due; from += options.maxBatch) {
        const upTo = Math.min(due, from + options.maxBatch);
        const events: BenchEvent[] = [];
        for (let k = from; k < upTo; k++) {
          const event = options.event(k);
          const intended = start + k * interval;
          event.properties._t = intended;
          if (intended >= markAt) lateness.recordMs(now - intended);
          events.push(event);
        }
        const request = send(events)
          .then(
            (accepted) => {
              if (!accepted) errors++;
            },
            () => {
              errors++;
            },
          )
          .then(() => {
            const at = monotonicMs();
            for (const event of events) {
              const intended = event.properties._t as number;
              if (intended >= markAt) ack.recordMs(at - intended);
            }
          });
        inFlight.add(request);
        request.finally(() => inFlight.delete(request));
      }
      sent = due;
      lastSendAt = monotonicMs();
    }
    await sleep(1);
  }
  await Promise.all(inFlight);
  return {
    sent,
    errors,
    ack,
    send: lateness,
    maxSendDelayMs,
    sendingMs: lastSendAt - start,
    elapsedMs: monotonicMs() - start,
  };
}
