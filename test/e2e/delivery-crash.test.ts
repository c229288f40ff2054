import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type Body, type ChildServer, eventually, request, spawnServer, tempDir } from "../support/server.js";

/**
 * Crash mid-send: the provider has received messages but the server dies (SIGKILL) before it
 * records them as sent. The restarted dispatcher reclaims them and sends again with the same
 * idempotency keys, so a provider honouring Idempotency-Key delivers each message once.
 */

interface Receiver {
  url: string;
  /** Requests per idempotency key (every attempt). */
  attempts: Map<string, number>;
  close(): Promise<void>;
  slow: boolean;
}

async function startReceiver(): Promise<Receiver> {
  const attempts = new Map<string, number>();
  const receiver: Partial<Receiver> & { slow: boolean } = { slow: true };
  const server: Server = createServer((req, res) => {
    const key = req.headers["idempotency-key"];
    req.resume();
    req.on("end", () => {
      if (typeof key !== "string") {
        res.writeHead(400).end();
        return;
      }
      attempts.set(key, (attempts.get(key) ?? 0) + 1);
      // Accept at once, answer late: the sender dies before it hears back.
      const answer = () => res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      if (receiver.slow) setTimeout(answer, 2000).unref();
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    attempts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as Receiver;
}

describe("crash mid-send", () => {
  const temp = tempDir("journeys-send-crash-");
  let server: ChildServer | undefined;
  let receiver: Receiver | undefined;
  after(async () => {
    await server?.kill();
    await receiver?.close();
    temp.cleanup();
  });

  it("a restarted dispatcher resends with the same keys; each message is delivered once", {
    timeout: 60_000,
  }, async () => {
    receiver = await startReceiver();
    const db = join(temp.dir, "send-crash.db");
    const env = { JOURNEYS_ALLOW_PRIVATE_URLS: "1", JOURNEYS_DELIVERY_LEASE_MS: "5000" };
    server = await spawnServer(db, env);
    const journey = {
      id: "notify",
      entry: { event: "order", key: "properties.order" },
      start: "hook",
      nodes: {
        hook: {
          actions: [{ webhook: { url: `${receiver.url}/orders/{{ journey.entry.properties.order }}` } }],
        },
      },
    };
    assert.equal((await request(server.url, "POST", "/v1/journeys", journey)).status, 201);
    assert.equal((await request(server.url, "POST", "/v1/journeys/notify/publish")).status, 200);
    const events = Array.from({ length: 30 }, (_, i) => ({
      userId: `u${i % 5}`,
      name: "order",
      properties: { order: `o${i}` },
    }));
    assert.equal((await request(server.url, "POST", "/v1/events", { events })).status, 202);

    await eventually(
      async () => receiver && receiver.attempts.size === 30,
      15_000,
      "the receiver to get every message",
    );
    await server.kill("SIGKILL");
    receiver.slow = false;
    server = await spawnServer(db, env);
    const url = server.url;
    const sent = await eventually(
      async () => {
        const { body } = await request(url, "GET", "/v1/deliveries?limit=1000");
        const list: Body[] = body.deliveries;
        return list.length === 30 && list.every((d) => d.status === "sent") ? list : undefined;
      },
      20_000,
      "every delivery recorded as sent after restart",
    );
    const keys = new Set(sent.map((d) => d.idempotencyKey));
    assert.equal(keys.size, 30);
    assert.deepEqual(
      [...receiver.attempts.keys()].sort(),
      [...keys].sort(),
      "the receiver saw exactly the outbox's keys",
    );
    const resent = [...receiver.attempts.values()].filter((n) => n > 1).length;
    assert.ok(resent > 0, "messages in flight at the crash were sent again (at least once)");
    assert.ok(sent.every((d) => d.attempts >= 1));
  });
});
