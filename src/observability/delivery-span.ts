import { context, propagation, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { AttemptOutcome } from "./dispatcher-observer.js";
import type { Tracing } from "./tracing.js";

/** One delivery attempt, as the dispatcher knows it. */
export interface DeliveryAttempt {
  project: string;
  idempotencyKey: string;
  channel: string;
  provider: string;
  journeyId?: string;
  nodeId?: string;
  /** 1 for the first attempt. */
  attempt: number;
}

/** The span of one delivery attempt; a no-op when tracing is off. */
export interface DeliverySpan {
  /** Runs `fn` (the provider call) with this span active, so `injectTraceHeaders` inside it sees it. */
  run<T>(fn: () => T): T;
  /** Adds this span's `traceparent` (and `tracestate`) to `headers` and returns them. */
  inject(headers: Record<string, string>): Record<string, string>;
  /** Ends the span with the attempt's outcome (and the provider's error, kept short). */
  end(outcome: AttemptOutcome, error?: string): void;
}

const NOOP_SPAN: DeliverySpan = Object.freeze({
  run: <T>(fn: () => T): T => fn(),
  inject: (headers: Record<string, string>) => headers,
  end: () => undefined,
});

/**
 * Starts the span of a delivery attempt, in the trace of the step that queued the delivery when
 * this process still remembers it (otherwise a new trace). Returns a shared no-op when tracing
 * is off, so the dispatcher calls it unconditionally.
 */
export function startDeliverySpan(tracing: Tracing | undefined, attempt: DeliveryAttempt): DeliverySpan {
  if (!tracing) return NOOP_SPAN;
  const span = tracing.start(
    `deliver ${attempt.channel}`,
    tracing.deliveryParent(attempt.idempotencyKey),
    { kind: SpanKind.CLIENT },
    () => ({
      "journeys.project": attempt.project,
      "journeys.channel": attempt.channel,
      "journeys.provider": attempt.provider,
      "journeys.delivery.idempotency_key": attempt.idempotencyKey,
      "journeys.delivery.attempt": attempt.attempt,
      ...(attempt.journeyId !== undefined ? { "journeys.journey_id": attempt.journeyId } : {}),
      ...(attempt.nodeId !== undefined ? { "journeys.node": attempt.nodeId } : {}),
    }),
  );
  return new RecordedDeliverySpan(tracing, span);
}

class RecordedDeliverySpan implements DeliverySpan {
  constructor(
    private readonly tracing: Tracing,
    private readonly span: Span,
  ) {}

  run<T>(fn: () => T): T {
    return context.with(trace.setSpan(context.active(), this.span), fn);
  }

  inject(headers: Record<string, string>): Record<string, string> {
    const traceparent = this.tracing.traceparentOf(this.span);
    if (traceparent !== undefined) headers.traceparent = traceparent;
    return headers;
  }

  end(outcome: AttemptOutcome, error?: string): void {
    if (this.span.isRecording()) {
      this.span.setAttribute("journeys.delivery.outcome", outcome);
      if (outcome === "retry" || outcome === "permanent" || outcome === "dead")
        this.span.setStatus({
          code: SpanStatusCode.ERROR,
          ...(error ? { message: error.slice(0, 200) } : {}),
        });
    }
    this.span.end();
  }
}

/**
 * Adds the active span's `traceparent` to outgoing provider request headers. Costs nothing and
 * adds nothing when tracing is off (no propagator is installed) or no span is active.
 */
export function injectTraceHeaders(headers: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), headers);
  return headers;
}
