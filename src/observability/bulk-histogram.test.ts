import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { Histogram, Registry } from "prom-client";
import { BulkHistogram } from "./bulk-histogram.js";
import { createLogger } from "./logger.js";
import { parseExposition, sampleValue } from "./testing/exposition.js";

describe("BulkHistogram", () => {
  it("renders exactly what prom-client's Histogram renders for the same observations", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const buckets = [0.01, 0.1, 1];
    const bulk = new BulkHistogram({
      name: "x_seconds",
      help: "x",
      buckets,
      labelNames: ["channel"],
      registers: [ours],
    });
    const reference = new Histogram({
      name: "x_seconds",
      help: "x",
      buckets,
      labelNames: ["channel"],
      registers: [theirs],
    });
    const values = [0.001, 0.01, 0.05, 0.5, 2, 0.1];
    for (const value of values) {
      bulk.labels({ channel: "push" }).observe(value);
      reference.observe({ channel: "push" }, value);
    }
    bulk.labels({ channel: "email" }).observe(0.2, 3);
    for (let i = 0; i < 3; i++) reference.observe({ channel: "email" }, 0.2);
    assert.equal(await ours.metrics(), await theirs.metrics());
  });

  it("keeps series handles valid across a reset", async () => {
    const registry = new Registry();
    const series = new BulkHistogram({
      name: "y_seconds",
      help: "y",
      buckets: [1],
      registers: [registry],
    }).labels({});
    series.observe(0.5);
    registry.resetMetrics();
    series.observe(2);
    const samples = parseExposition(await registry.metrics());
    assert.equal(sampleValue(samples, "y_seconds_count"), 1);
    assert.equal(sampleValue(samples, "y_seconds_bucket", { le: "1" }), 0);
  });
});

describe("logs", () => {
  it("are JSON lines without credentials or message bodies", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger("info", sink);
    logger.info(
      {
        req: { headers: { authorization: "Bearer jrn_secret" } },
        delivery: { payload: { body: "Hi Ada" }, address: "ada@example.com", channel: "email" },
      },
      "sending",
    );
    logger.debug("not at info");
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0] as string);
    assert.equal(line.level, "info");
    assert.equal(line.msg, "sending");
    assert.equal(line.delivery.channel, "email");
    assert.doesNotMatch(lines[0] as string, /jrn_secret|Hi Ada|ada@example\.com/);
  });
});
