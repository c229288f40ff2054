import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eventually, request, startServer, type TestServer } from "../../test/support/server.js";
import { type FakeWebhook, startFakeWebhook } from "../channels/testing/fake-webhook.js";
import { has, parseExposition, type Sample, sampleValue } from "./testing/exposition.js";

process.env.JOURNEYS_ALLOW_PRIVATE_URLS = "1";

function welcome(hookUrl: string) {
  return {
    id: "welcome",
    entry: { event: "signup" },
    start: "hello",
    nodes: {
      hello: {
        actions: [
          { send: { channel: "push", content: { title: "Hi", body: "Welcome" } } },
          { webhook: { url: `${hookUrl}/crm`, body: { user: "{{ user.id }}" } } },
        ],
        edges: [{ to: "later", when: { after: "1s" } }],
      },
      later: { edges: [{ to: "done", when: { after: "1h" } }] },
      done: {},
    },
  };
}

describe("Prometheus metrics at /metrics after a scenario on a real server", () => {
  let server: TestServer;
  let hook: FakeWebhook;
  let metrics: Sample[];
  let contentType: string | null;

  before(async () => {
    hook = await startFakeWebhook();
    server = await startServer(undefined, { engine: { delivery: { pollMs: 20 } } });
    assert.equal((await server.api("POST", "/v1/journeys", welcome(hook.url))).status, 201);
    assert.equal((await server.api("POST", "/v1/journeys/welcome/publish")).status, 200);
    await server.api("PUT", "/v1/users/u1", { channels: { push: { address: "device-1" } } });
    const events = [
      { id: "s1", userId: "u1", name: "signup" },
      { id: "s2", userId: "u2", name: "signup" },
    ];
    assert.equal((await server.api("POST", "/v1/events", { events })).status, 202);
    // The same event again: acknowledged, not appended.
    assert.equal((await server.api("POST", "/v1/events", events[0])).status, 202);
    assert.equal((await server.api("POST", "/v1/events", { userId: "u1" })).status, 400);
    assert.equal(
      (await request(server.url, "POST", "/v1/events", {}, { authorization: "Bearer nope" })).status,
      401,
    );
    // Both users wait on `later` once their 1 s timers fired; only then is the first scrape taken,
    // so the cached per-node gauges are read in their final state.
    await eventually(
      async () => {
        for (const user of ["u1", "u2"]) {
          const { body } = await server.api("GET", `/v1/users/${user}`);
          if (body?.instances?.[0]?.node !== "later") return false;
        }
        return true;
      },
      10_000,
      "both users on node later",
    );
    await eventually(async () => hook.requests.length >= 2 || undefined, 10_000, "two webhook calls");
    const scraped = await eventually(async () => {
      const response = await fetch(`${server.url}/metrics`);
      const samples = parseExposition(await response.text());
      const sent = sampleValue(samples, "journeys_delivery_attempts_total", {
        channel: "webhook",
        outcome: "sent",
      });
      return sent >= 2 ? { samples, type: response.headers.get("content-type") } : undefined;
    });
    metrics = scraped.samples;
    contentType = scraped.type;
  });

  after(async () => {
    await server?.close();
    await hook?.close();
  });

  it("is public and in the Prometheus text format", () => {
    assert.match(contentType ?? "", /^text\/plain; version=0\.0\.4/);
  });

  it("counts events ingested, duplicates and rejected requests", () => {
    assert.equal(sampleValue(metrics, "journeys_events_ingested_total", { project: "test" }), 2);
    assert.equal(sampleValue(metrics, "journeys_events_duplicate_total", { project: "test" }), 1);
    assert.equal(sampleValue(metrics, "journeys_events_rejected_total", { reason: "invalid" }), 1);
    assert.equal(sampleValue(metrics, "journeys_events_rejected_total", { reason: "unauthorized" }), 1);
  });

  it("counts inputs processed by kind and observes their ingest-to-commit latency", () => {
    assert.equal(sampleValue(metrics, "journeys_inputs_processed_total", { kind: "event" }), 2);
    assert.equal(sampleValue(metrics, "journeys_inputs_processed_total", { kind: "profile" }), 1);
    assert.equal(sampleValue(metrics, "journeys_inputs_processed_total", { kind: "timer" }), 2);
    // Two events and one profile change went through the log; timers do not.
    assert.equal(sampleValue(metrics, "journeys_ingest_to_commit_seconds_count"), 3);
    assert.equal(sampleValue(metrics, "journeys_ingest_to_commit_seconds_bucket", { le: "+Inf" }), 3);
    assert.ok(sampleValue(metrics, "journeys_batch_size_count") >= 1);
    assert.equal(sampleValue(metrics, "journeys_batch_size_sum"), 5);
    assert.ok(sampleValue(metrics, "journeys_batch_duration_seconds_count") >= 1);
  });

  it("counts transitions per journey and node, and shows where instances are", () => {
    const labels = { project: "test", journey: "welcome" };
    assert.equal(sampleValue(metrics, "journeys_transitions_total", { ...labels, node: "hello" }), 2);
    assert.equal(sampleValue(metrics, "journeys_transitions_total", { ...labels, node: "later" }), 2);
    assert.equal(sampleValue(metrics, "journeys_instances_active", { ...labels, node: "later" }), 2);
    assert.equal(sampleValue(metrics, "journeys_instances_active", { ...labels, node: "hello" }), 0);
  });

  it("tracks timers: pending, lateness of the two that fired", () => {
    assert.equal(sampleValue(metrics, "journeys_timers_pending"), 2);
    assert.equal(sampleValue(metrics, "journeys_timer_lateness_seconds_count"), 2);
    assert.ok(has(metrics, "journeys_timers_in_memory"));
  });

  it("counts deliveries by channel, provider and status, and provider-side latency", () => {
    assert.equal(sampleValue(metrics, "journeys_deliveries_total", { channel: "push", status: "queued" }), 1);
    assert.equal(
      sampleValue(metrics, "journeys_deliveries_total", { channel: "push", status: "skipped" }),
      1,
    );
    assert.equal(
      sampleValue(metrics, "journeys_deliveries_total", { channel: "webhook", status: "queued" }),
      2,
    );
    assert.equal(
      sampleValue(metrics, "journeys_deliveries_total", { channel: "webhook", status: "sent" }),
      2,
    );
    assert.equal(
      sampleValue(metrics, "journeys_ingest_to_provider_seconds_count", { channel: "webhook" }),
      2,
    );
    assert.ok(sampleValue(metrics, "journeys_delivery_duration_seconds_count", { channel: "webhook" }) >= 1);
  });

  it("reports log lag per partition, SQLite file stats and process metrics", () => {
    for (let partition = 0; partition < 8; partition++)
      assert.equal(sampleValue(metrics, "journeys_log_lag", { partition: String(partition) }), 0);
    assert.ok(sampleValue(metrics, "journeys_sqlite_file_bytes") > 0);
    assert.ok(sampleValue(metrics, "journeys_sqlite_pages") > 0);
    assert.equal(sampleValue(metrics, "journeys_sqlite_page_size_bytes"), 4096);
    assert.ok(has(metrics, "journeys_sqlite_wal_bytes"));
    assert.ok(has(metrics, "process_cpu_user_seconds_total"));
    assert.ok(has(metrics, "nodejs_eventloop_lag_seconds"));
  });

  it("never puts a user id in a label", () => {
    for (const sample of metrics)
      for (const value of Object.values(sample.labels))
        assert.ok(value !== "u1" && value !== "u2", sample.name);
  });
});
