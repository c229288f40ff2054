import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SpanKind } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { eventually, startServer, type TestServer } from "../../test/support/server.js";
import { injectTraceHeaders, startDeliverySpan } from "./delivery-span.js";
import { Observability } from "./observability.js";
import { Tracing } from "./tracing.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";

/** Two journeys entered by the same event: one trace must show both. */
const journeys = ["trial", "newsletter"].map((id) => ({
  id,
  entry: { event: "signup" },
  start: "first",
  nodes: { first: { edges: [{ to: "second", when: { after: "1h" } }] }, second: {} },
}));

describe("a trace of one event through two journeys", () => {
  const exporter = new InMemorySpanExporter();
  const tracing = new Tracing({ exporter, simple: true });
  let server: TestServer;
  let spans: ReadableSpan[];

  before(async () => {
    server = await startServer(undefined, { tracing });
    for (const journey of journeys) {
      assert.equal((await server.api("POST", "/v1/journeys", journey)).status, 201);
      assert.equal((await server.api("POST", `/v1/journeys/${journey.id}/publish`)).status, 200);
    }
    exporter.reset();
    const sent = await server.api(
      "POST",
      "/v1/events",
      { id: "e1", userId: "ada", name: "signup" },
      { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` },
    );
    assert.equal(sent.status, 202);
    await eventually(async () => {
      const { body } = await server.api("GET", "/v1/users/ada");
      return body?.instances?.length === 2 || undefined;
    });
    await eventually(
      async () => exporter.getFinishedSpans().some((s) => s.name === "executor batch") || undefined,
    );
    spans = exporter
      .getFinishedSpans()
      .filter((s) => s.spanContext().traceId === TRACE_ID || s.name === "executor batch");
  });

  after(async () => {
    await server?.close();
  });

  const named = (name: string) => {
    const found = spans.filter((span) => span.name === name);
    assert.equal(found.length, 1, `one span named ${name}, got ${spans.map((s) => s.name).join(", ")}`);
    return found[0] as ReadableSpan;
  };

  it("continues the caller's traceparent with a server span for the ingest request", () => {
    const ingest = named("POST /v1/events");
    assert.equal(ingest.kind, SpanKind.SERVER);
    assert.equal(ingest.spanContext().traceId, TRACE_ID);
    assert.equal(ingest.parentSpanContext?.spanId, CALLER_SPAN);
    assert.equal(ingest.attributes["http.response.status_code"], 202);
  });

  it("has one child span per journey the event moved, under the ingest span", () => {
    const ingest = named("POST /v1/events");
    for (const id of ["trial", "newsletter"]) {
      const journey = named(`journey ${id}`);
      assert.equal(journey.spanContext().traceId, TRACE_ID);
      assert.equal(journey.parentSpanContext?.spanId, ingest.spanContext().spanId);
      assert.equal(journey.attributes["journeys.journey_id"], id);
      assert.equal(journey.attributes["journeys.event.name"], "signup");
    }
  });

  it("records the executor batch as its own root, linked both ways with the journey spans", () => {
    const batches = exporter.getFinishedSpans().filter((s) => s.name === "executor batch");
    const ingest = named("POST /v1/events");
    const batch = batches.find((s) => s.links.some((l) => l.context.spanId === ingest.spanContext().spanId));
    assert.ok(batch, "a batch span links to the ingest request");
    assert.equal(batch.parentSpanContext, undefined);
    for (const id of ["trial", "newsletter"]) {
      const journey = named(`journey ${id}`);
      assert.equal(journey.links[0]?.context.spanId, batch.spanContext().spanId);
    }
  });
});

describe("delivery attempt spans", () => {
  it("are a shared no-op without tracing, and leave headers alone", () => {
    const span = startDeliverySpan(undefined, {
      project: "p",
      idempotencyKey: "k",
      channel: "push",
      provider: "fcm",
      attempt: 1,
    });
    assert.deepEqual(span.inject({ a: "b" }), { a: "b" });
    assert.equal(
      span.run(() => 42),
      42,
    );
    span.end("sent");
  });

  it("continue the trace of the step that queued the delivery and propagate it to the provider call", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = new Tracing({ exporter, simple: true });
    const parent = tracing.start("journey trial", tracing.extract({}), {});
    const parentTraceparent = tracing.traceparentOf(parent) as string;
    tracing.rememberDelivery("key-1", parentTraceparent);
    parent.end();

    const span = startDeliverySpan(tracing, {
      project: "p",
      idempotencyKey: "key-1",
      channel: "email",
      provider: "sendgrid",
      attempt: 2,
    });
    const headers = span.inject({});
    const inside = span.run(() => injectTraceHeaders({}));
    span.end("retry", "503 from provider");
    await tracing.flush();

    const attempt = exporter.getFinishedSpans().find((s) => s.name === "deliver email") as ReadableSpan;
    assert.equal(attempt.kind, SpanKind.CLIENT);
    assert.equal(attempt.spanContext().traceId, parent.spanContext().traceId);
    assert.equal(attempt.parentSpanContext?.spanId, parent.spanContext().spanId);
    assert.equal(attempt.attributes["journeys.delivery.outcome"], "retry");
    assert.equal(attempt.attributes["journeys.delivery.attempt"], 2);
    const expected = `00-${attempt.spanContext().traceId}-${attempt.spanContext().spanId}-01`;
    assert.equal(headers.traceparent, expected);
    assert.equal(inside.traceparent, expected);
    assert.deepEqual(injectTraceHeaders({}), {}, "no active span outside run()");
  });
});

describe("without an exporter", () => {
  it("stamps nothing and builds no tracing at all", async () => {
    const observability = new Observability({ env: {}, logLevel: "silent", processMetrics: false });
    assert.equal(observability.tracing, undefined);
    assert.equal(observability.engineHooks().traceContext, undefined);
    await observability.close();
  });

  it("exports over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set", async () => {
    const tracing = Tracing.fromEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" });
    assert.ok(tracing);
    await tracing.shutdown();
  });
});
