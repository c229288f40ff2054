import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  TracerProvider,
} from "@opentelemetry/sdk-trace";

export interface TracingOptions {
  /** Where finished spans go: OTLP over HTTP in production, an in-memory exporter in tests. */
  exporter: SpanExporter;
  /** Export each span as it ends instead of in batches (tests). */
  simple?: boolean;
  serviceName?: string;
  /** Delivery → parent trace links remembered in memory (default 50,000). */
  deliveryLinks?: number;
}

/** Turning tracing on changes process-wide OpenTelemetry state: the context manager and propagator. */
function installGlobals(): void {
  const manager = new AsyncLocalStorageContextManager();
  // A host that installed its own context manager keeps it; ours is then not needed.
  if (context.setGlobalContextManager(manager.enable())) {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  } else manager.disable();
}

/**
 * Tracing of one server: its own TracerProvider (not the global one, so each server can export
 * elsewhere), plus W3C trace-context propagation through the active context. Built only when an
 * exporter is configured; without it the engine never creates a span, so tracing costs nothing.
 */
export class Tracing {
  readonly tracer: Tracer;
  private readonly provider: TracerProvider;
  private readonly propagator = new W3CTraceContextPropagator();
  private readonly deliveryParents = new Map<string, string>();
  private readonly deliveryLinks: number;

  constructor(options: TracingOptions) {
    installGlobals();
    const processor = options.simple
      ? new SimpleSpanProcessor({ exporter: options.exporter })
      : new BatchSpanProcessor({ exporter: options.exporter });
    this.provider = new TracerProvider({
      resource: resourceFromAttributes({ "service.name": options.serviceName ?? "journeys" }),
      spanProcessors: [processor],
    });
    this.tracer = this.provider.getTracer("journeys");
    this.deliveryLinks = options.deliveryLinks ?? 50_000;
  }

  /**
   * Tracing configured by the standard OpenTelemetry variables: OTLP over HTTP when
   * `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set; undefined otherwise.
   */
  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): Tracing | undefined {
    const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
    if (!endpoint || env.OTEL_SDK_DISABLED === "true") return undefined;
    // The exporter reads the endpoint, headers, timeout and compression variables itself.
    return new Tracing({
      exporter: new OTLPTraceExporter(),
      serviceName: env.OTEL_SERVICE_NAME || "journeys",
    });
  }

  /** The context a request continues: its `traceparent` header, or a new trace. */
  extract(headers: Readonly<Record<string, string | string[] | undefined>>): Context {
    return this.propagator.extract(ROOT_CONTEXT, headers, {
      keys: (carrier) => Object.keys(carrier),
      get: (carrier, key) => carrier[key],
    });
  }

  /** The `traceparent` of a span context, as stored with a log entry. */
  traceparentOf(span: Span | SpanContext): string | undefined {
    const spanContext = "spanContext" in span ? span.spanContext() : span;
    const carrier: Record<string, string> = {};
    this.propagator.inject(trace.setSpanContext(ROOT_CONTEXT, spanContext), carrier, {
      set: (target, key, value) => {
        target[key] = value;
      },
    });
    return carrier.traceparent;
  }

  /** The context a stored `traceparent` stands for. */
  contextOf(traceparent: string): Context {
    return this.extract({ traceparent });
  }

  /** The `traceparent` of the span active right now, when it is recorded (ingest stamps it on events). */
  currentTraceparent(): string | undefined {
    const span = trace.getSpan(context.active());
    return span?.isRecording() ? this.traceparentOf(span) : undefined;
  }

  /** Starts a span under `parent`; attributes are set only when the span is recorded. */
  start(
    name: string,
    parent: Context,
    options: { kind?: SpanKind; startTime?: number; links?: SpanContext[] },
    attributes?: () => Attributes,
  ): Span {
    const span = this.tracer.startSpan(
      name,
      {
        kind: options.kind ?? SpanKind.INTERNAL,
        ...(options.startTime !== undefined ? { startTime: options.startTime } : {}),
        ...(options.links && options.links.length > 0
          ? { links: options.links.map((linked) => ({ context: linked })) }
          : {}),
      },
      parent,
    );
    if (attributes && span.isRecording()) span.setAttributes(attributes());
    return span;
  }

  /** Remembers the span that queued a delivery, so its attempts join the same trace. */
  rememberDelivery(idempotencyKey: string, traceparent: string): void {
    this.deliveryParents.set(idempotencyKey, traceparent);
    if (this.deliveryParents.size > this.deliveryLinks) {
      const oldest = this.deliveryParents.keys().next();
      if (!oldest.done) this.deliveryParents.delete(oldest.value);
    }
  }

  /** The parent context of a delivery's attempts: the step that queued it, or a new trace. */
  deliveryParent(idempotencyKey: string): Context {
    const traceparent = this.deliveryParents.get(idempotencyKey);
    return traceparent === undefined ? ROOT_CONTEXT : this.contextOf(traceparent);
  }

  /** Exports what is buffered. */
  async flush(): Promise<void> {
    await this.provider.forceFlush();
  }

  /** Exports what is buffered and stops exporting. */
  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}
