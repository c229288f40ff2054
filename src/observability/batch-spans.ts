import { ROOT_CONTEXT, type SpanContext, trace } from "@opentelemetry/api";
import type { BatchReport, TracedInput } from "../runtime/executor.js";
import type { Tracing } from "./tracing.js";

/**
 * Spans of one committed executor batch, made after the commit with the batch's own start and
 * commit times. The batch span is a root (a batch serves inputs from many traces) linked to each
 * traced input; every journey an input moved gets a span in that input's trace, as a child of its
 * ingest request and linked back to the batch. Deliveries the input queued remember their
 * journey span, so their attempts continue the same trace.
 */
export function recordBatchSpans(tracing: Tracing, report: BatchReport): void {
  const traced = report.traced ?? [];
  const links: SpanContext[] = [];
  for (const input of traced) {
    const linked = spanContextOf(tracing, input.trace);
    if (linked) links.push(linked);
  }
  const batch = tracing.start("executor batch", ROOT_CONTEXT, { startTime: report.startedAt, links }, () => ({
    "journeys.partition": report.partition,
    "journeys.batch.entries": report.entries.length,
    "journeys.batch.timers": report.timers.length,
    "journeys.batch.transitions": report.transitions,
    "journeys.batch.deliveries": report.deliveries,
  }));
  batch.end(report.committedAt);
  const batchContext = batch.spanContext();
  for (const input of traced) recordInput(tracing, input, report, batchContext);
}

function recordInput(tracing: Tracing, traced: TracedInput, report: BatchReport, batch: SpanContext): void {
  const parent = tracing.contextOf(traced.trace);
  const { input } = traced;
  for (const journeyId of traced.journeys) {
    const span = tracing.start(
      `journey ${journeyId}`,
      parent,
      { startTime: report.startedAt, links: [batch] },
      () => ({
        "journeys.project": traced.project,
        "journeys.journey_id": journeyId,
        "journeys.input.kind": input.kind,
        ...(input.kind === "event" ? { "journeys.event.name": input.name } : {}),
        "journeys.partition": report.partition,
      }),
    );
    span.end(report.committedAt);
    const traceparent = tracing.traceparentOf(span);
    if (traceparent === undefined) continue;
    for (const delivery of traced.deliveries) {
      if (delivery.journeyId === journeyId) tracing.rememberDelivery(delivery.idempotencyKey, traceparent);
    }
  }
}

function spanContextOf(tracing: Tracing, traceparent: string): SpanContext | undefined {
  return trace.getSpanContext(tracing.contextOf(traceparent));
}
