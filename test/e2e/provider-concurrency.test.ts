import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { eventually, startServer, type TestServer } from "../support/server.js";

process.env.JOURNEYS_ALLOW_PRIVATE_URLS = "1";

/**
 * `journeys serve --provider-concurrency N`: a provider never has more than N calls open at once,
 * and uses all N while deliveries wait, through the provider thread `serve` runs by default.
 */
describe("calls in flight per provider", () => {
  let server: TestServer;
  const received = new Set<string>();
  let open = 0;
  let most = 0;
  // Holds each call 100 ms, so the deliveries queue behind the provider's slots.
  const receiver = createServer((req, res) => {
    open++;
    most = Math.max(most, open);
    req.resume();
    req.on("end", () => {
      setTimeout(() => {
        received.add(String(req.headers["idempotency-key"]));
        open--;
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      }, 100);
    });
  });

  before(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    server = await startServer(undefined, { providerThread: true, providerConcurrency: 5 });
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const journey = {
      id: "notify",
      entry: { event: "order", key: "properties.n" },
      start: "hook",
      nodes: { hook: { actions: [{ webhook: { url: `${url}/o/{{ journey.entry.properties.n }}` } }] } },
    };
    assert.equal((await server.api("POST", "/v1/journeys", journey)).status, 201);
    assert.equal((await server.api("POST", "/v1/journeys/notify/publish")).status, 200);
  });

  after(async () => {
    await server.close();
    receiver.closeAllConnections();
    receiver.close();
  });

  it("keeps a provider's open calls at the setting, and fills it", { timeout: 60_000 }, async () => {
    const events = Array.from({ length: 30 }, (_, i) => ({
      userId: `u${i}`,
      name: "order",
      properties: { n: i },
    }));
    assert.equal((await server.api("POST", "/v1/events", { events })).status, 202);
    await eventually(async () => received.size === 30, 30_000, "every webhook delivered");
    assert.equal(most, 5);
  });
});
