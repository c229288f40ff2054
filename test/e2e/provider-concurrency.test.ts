import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { type FakeSmtp, startFakeSmtp } from "../../src/channels/testing/fake-smtp.js";
import {
  type Body,
  eventually,
  publishWebhookJourney,
  startServer,
  type TestServer,
} from "../support/server.js";

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
    await publishWebhookJourney(server, url);
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

/**
 * An SMTP provider sends one message per pooled connection at a time. The dispatcher starts no
 * more calls than it has connections: a call queued inside the pool would run its timeout
 * while it waits, and time out unsent.
 */
describe("calls in flight to an SMTP provider", () => {
  let server: TestServer;
  let smtp: FakeSmtp;

  before(async () => {
    // 150 ms a message on 2 connections: 12 messages queued in the pool at once would wait up to
    // 750 ms, past the 500 ms timeout.
    smtp = await startFakeSmtp({ replyDelayMs: 150 });
    server = await startServer(undefined, {
      providerThread: true,
      engine: { delivery: { pollMs: 20, provider: { timeoutMs: 500 } } },
    });
    const put = await server.api("PUT", "/v1/providers/smtp", {
      type: "smtp",
      config: { host: smtp.host, port: smtp.port, from: "shop@example.com", maxConnections: 2 },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const journey = {
      id: "mail",
      entry: { event: "order", key: "properties.n" },
      start: "email",
      nodes: {
        email: {
          actions: [
            {
              send: {
                channel: "email",
                provider: "smtp",
                content: { subject: "Thanks", text: "Order {{ journey.entry.properties.n }}" },
              },
            },
          ],
        },
      },
    };
    assert.equal((await server.api("POST", "/v1/journeys", journey)).status, 201);
    assert.equal((await server.api("POST", "/v1/journeys/mail/publish")).status, 200);
  });

  after(async () => {
    await server.close();
    await smtp.close();
  });

  it("starts no more sends than the pool's connections, so none times out waiting", {
    timeout: 60_000,
  }, async () => {
    for (let i = 0; i < 12; i++) {
      const put = await server.api("PUT", `/v1/users/m${i}`, {
        channels: { email: { address: `m${i}@example.com` } },
      });
      assert.equal(put.status, 200);
    }
    const events = Array.from({ length: 12 }, (_, i) => ({
      userId: `m${i}`,
      name: "order",
      properties: { n: i },
    }));
    assert.equal((await server.api("POST", "/v1/events", { events })).status, 202);
    const deliveries = await eventually(
      async () => {
        const { body } = await server.api("GET", "/v1/deliveries?limit=100");
        const done = body.deliveries.filter((d: Body) => d.status === "sent");
        return done.length === 12 ? body.deliveries : undefined;
      },
      30_000,
      "every email sent",
    );
    for (const delivery of deliveries) {
      assert.equal(delivery.attempts, 1, `${delivery.userId}: ${delivery.reason ?? ""}`);
      assert.equal(smtp.count(delivery.idempotencyKey), 1);
    }
  });
});
