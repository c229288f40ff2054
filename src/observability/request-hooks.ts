import { context, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { EngineMetrics, RejectReason } from "./engine-metrics.js";
import type { Tracing } from "./tracing.js";

const INGEST_ROUTE = "/v1/events";

export interface RequestInstrumentation {
  metrics?: EngineMetrics;
  tracing?: Tracing;
}

/**
 * Root-level Fastify hooks: a server span per API request (continuing the caller's
 * `traceparent`, active while the handler runs so ingestion stamps it on the events) and the
 * count of refused ingest requests. Added before any route, so they see every route.
 */
export function instrumentRequests(options: RequestInstrumentation): (app: FastifyInstance) => void {
  return (app) => {
    const { metrics, tracing } = options;
    if (tracing) traceRequests(app, tracing);
    if (metrics) {
      app.addHook("onResponse", (request, reply, done) => {
        if (reply.statusCode >= 400 && request.method === "POST" && request.routeOptions.url === INGEST_ROUTE)
          metrics.onReject(rejectReason(reply.statusCode));
        done();
      });
    }
  };
}

function traceRequests(app: FastifyInstance, tracing: Tracing): void {
  const spans = new WeakMap<FastifyRequest, Span>();
  app.addHook("onRequest", (request, _reply, done) => {
    const route = request.routeOptions.url;
    // Scrapes and health checks would drown the traces that matter.
    if (route === undefined || !route.startsWith("/v1/")) return done();
    const span = tracing.start(
      `${request.method} ${route}`,
      tracing.extract(request.headers),
      { kind: SpanKind.SERVER },
      () => ({ "http.request.method": request.method, "http.route": route }),
    );
    spans.set(request, span);
    done();
  });
  app.addHook("preHandler", (request, _reply, done) => {
    const span = spans.get(request);
    if (!span) return done();
    // Body parsing ran outside any context; the handler and what it awaits run inside this one.
    context.with(trace.setSpan(context.active(), span), () => done());
  });
  app.addHook("onError", (request, _reply, error, done) => {
    const span = spans.get(request);
    if (span?.isRecording()) span.recordException({ name: error.name, message: error.message });
    done();
  });
  app.addHook("onResponse", (request, reply, done) => {
    const span = spans.get(request);
    if (span) {
      if (span.isRecording()) {
        span.setAttribute("http.response.status_code", reply.statusCode);
        if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
      spans.delete(request);
    }
    done();
  });
}

function rejectReason(status: number): RejectReason {
  if (status === 401 || status === 403) return "unauthorized";
  if (status === 503) return "not_ready";
  if (status >= 500) return "error";
  return "invalid";
}
