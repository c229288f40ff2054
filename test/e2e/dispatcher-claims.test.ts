import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { eventually, publishWebhookJourney, startServer, type TestServer } from "../support/server.js";

process.env.JOURNEYS_ALLOW_PRIVATE_URLS = "1";

/**
 * How often the dispatcher claims (each claim is a write transaction): never for deliveries a
 * commit could hand it leased; once for those a commit queued, not again when their calls end,
 * unless the last claim had to leave some behind. The poll is a minute apart here, so every
 * claim counted comes from a wake-up or a finished call.
 */
describe("dispatcher claims", () => {
  const received: string[] = [];
  /** Paths in the order they were received. */
  const paths: string[] = [];
  /** How long the provider takes to answer each request. */
  let answerMs = 0;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received.push(String(req.headers["idempotency-key"]));
      paths.push(String(req.url));
      const answer = () => res.writeHead(200, { "content-type": "application/json" }).end("{}");
      if (answerMs > 0) setTimeout(answer, answerMs);
      else answer();
    });
  });
  let url = "";

  before(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });

  after(() => {
    receiver.closeAllConnections();
    receiver.close();
  });

  async function serverWith(
    delivery: Record<string, number>,
  ): Promise<{ server: TestServer; claims: () => number }> {
    const server = await startServer(undefined, { engine: { delivery: { pollMs: 60_000, ...delivery } } });
    await publishWebhookJourney(server, url);
    const store = server.running.engine.store;
    const claim = store.claimDeliveries.bind(store);
    let claims = 0;
    store.claimDeliveries = async (...args) => {
      claims++;
      return claim(...args);
    };
    return { server, claims: () => claims };
  }

  it("sends what commits hand over leased without claiming it, nor claiming when calls end", async () => {
    const { server, claims } = await serverWith({});
    try {
      received.length = 0;
      const sends = 12;
      for (let n = 0; n < sends; n++) {
        const events = [{ userId: `u${n}`, name: "order", properties: { n } }];
        assert.equal((await server.api("POST", "/v1/events", { events })).status, 202);
        await eventually(async () => received.length === n + 1, 10_000, `webhook ${n} received`);
      }
      // Let the last call's end (and any claim it would start) finish.
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Queued, they cost a claim each (two each when every finished call claimed too).
      assert.equal(claims(), 0, `${claims()} claims for ${sends} deliveries`);
      const sent = await server.api("GET", "/v1/deliveries?status=sent");
      assert.equal((sent.body as { deliveries: unknown[] }).deliveries.length, sends);
    } finally {
      await server.close();
    }
  });

  it("queues new deliveries behind due ones no claim has taken yet, so those go first", async () => {
    const { server } = await serverWith({ concurrency: 1, perProviderConcurrency: 1, claimLimit: 2 });
    try {
      paths.length = 0;
      answerMs = 20;
      const events = Array.from({ length: 9 }, (_, n) => ({
        userId: `w${n}`,
        name: "order",
        properties: { n },
      }));
      assert.equal((await server.api("POST", "/v1/events", { events })).status, 202);
      // Two handed over, seven queued; one call at a time, so most are still queued now.
      await eventually(async () => paths.length >= 1, 10_000, "first webhook received");
      const late = [{ userId: "w9", name: "order", properties: { n: 9 } }];
      assert.equal((await server.api("POST", "/v1/events", { events: late })).status, 202);
      await eventually(async () => paths.length === 10, 10_000, "every webhook received");
      // Deliveries of one request land in several partitions, so their order among themselves
      // is not the events'; the late one comes after all of them.
      assert.equal(paths.at(-1), "/o/9", `sent in the order ${paths.join(" ")}`);
      assert.equal(new Set(paths).size, 10);
    } finally {
      answerMs = 0;
      await server.close();
    }
  });

  it("a finished call claims what the last claim left behind for want of room", async () => {
    const { server } = await serverWith({ concurrency: 1, perProviderConcurrency: 1, claimLimit: 2 });
    try {
      received.length = 0;
      const events = Array.from({ length: 9 }, (_, n) => ({
        userId: `v${n}`,
        name: "order",
        properties: { n },
      }));
      assert.equal((await server.api("POST", "/v1/events", { events })).status, 202);
      // Two claimed at a time, one call at a time, and no poll to pick up the rest.
      await eventually(async () => received.length === 9, 10_000, "every webhook received");
    } finally {
      await server.close();
    }
  });
});
