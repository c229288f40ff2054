import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { eventually, publishWebhookJourney, startServer, type TestServer } from "../support/server.js";

process.env.JOURNEYS_ALLOW_PRIVATE_URLS = "1";

/**
 * A slow provider with few slots and a deep outbox: the dispatcher must keep yielding to the
 * event loop (so calls complete and the API answers) instead of re-claiming what it cannot send.
 */
describe("dispatcher under backpressure", () => {
  let server: TestServer;
  const received = new Set<string>();
  const receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received.add(String(req.headers["idempotency-key"]));
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });

  before(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    server = await startServer(undefined, {
      engine: { delivery: { concurrency: 1, perProviderConcurrency: 1, claimLimit: 2, pollMs: 20 } },
    });
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    await publishWebhookJourney(server, url);
  });

  after(async () => {
    await server.close();
    receiver.closeAllConnections();
    receiver.close();
  });

  it("sends everything and keeps answering requests while the provider is the bottleneck", {
    timeout: 90_000,
  }, async () => {
    // Count what the dispatcher claims or commits hand it leased, and what it writes back unsent.
    const store = server.running.engine.store;
    const claim = store.claimDeliveries.bind(store);
    const commit = store.commit.bind(store);
    const commitMany = store.commitMany?.bind(store);
    const update = store.updateDeliveries.bind(store);
    let claimed = 0;
    let putBack = 0;
    store.claimDeliveries = async (...args) => {
      const rows = await claim(...args);
      claimed += rows.length;
      return rows;
    };
    store.commit = async (...args) => {
      const result = await commit(...args);
      claimed += result.leased.length;
      return result;
    };
    if (commitMany) {
      store.commitMany = async (...args) => {
        const result = await commitMany(...args);
        claimed += result.leased.length;
        return result;
      };
    }
    store.updateDeliveries = async (updates) => {
      putBack += updates.filter((u) => u.status === "queued" && u.attempts === undefined).length;
      return update(updates);
    };
    for (let b = 0; b < 2; b++) {
      const events = Array.from({ length: 1000 }, (_, i) => ({
        userId: `u${i % 7}`,
        name: "order",
        properties: { n: b * 1000 + i },
      }));
      assert.equal((await server.api("POST", "/v1/events", { events })).status, 202);
    }
    let slowest = 0;
    await eventually(
      async () => {
        const started = Date.now();
        const health = await fetch(`${server.url}/healthz`);
        slowest = Math.max(slowest, Date.now() - started);
        assert.equal(health.status, 200);
        return received.size === 2000;
      },
      60_000,
      "every webhook delivered",
    );
    // Not a timing target: a stuck event loop shows as a health check that never answers.
    assert.ok(slowest < 5000, `health check took ${slowest} ms`);
    // Claimed deliveries wait in memory for the provider's slot instead of going back and forth.
    assert.equal(putBack, 0, "no delivery was put back because the provider was busy");
    assert.equal(claimed, 2000, "each delivery claimed or handed over once");
  });
});
