import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type Body, type ChildServer, eventually, request, spawnServer, tempDir } from "../support/server.js";

/**
 * Crash safety (DESIGN.md §5): the server runs as a child process under load and is killed with
 * SIGKILL at random moments, several times. Clients retry unacknowledged batches with the same
 * event ids, as the typed client does. In the end every acknowledged event must have been
 * applied exactly once, no instance is on two nodes, no idempotency key is in the outbox twice.
 */

const counter = {
  id: "counter",
  entry: { event: "hit", key: "properties.n", reentry: "never" },
  start: "count",
  nodes: {
    count: {
      actions: [
        { update: { increment: { hits: 1 } } },
        { webhook: { url: "https://hooks.example/{{ user.id }}/{{ journey.entry.properties.n }}" } },
      ],
      edges: [{ to: "wait" }],
    },
    wait: { edges: [{ to: "end", when: { after: "1s" } }] },
    end: {},
  },
};

const USERS = 20;
const BATCHES = 60;
const PER_BATCH = 50;

describe("crash safety under SIGKILL", () => {
  const temp = tempDir("journeys-crash-");
  const db = join(temp.dir, "crash.db");
  let server: ChildServer | undefined;
  after(async () => {
    await server?.kill();
    temp.cleanup();
  });

  it("applies every acknowledged event exactly once across repeated kill -9", {
    timeout: 180_000,
  }, async () => {
    server = await spawnServer(db);
    const setup = async (url: string) => {
      assert.equal((await request(url, "POST", "/v1/journeys", counter)).status, 201);
      const published = await request(url, "POST", "/v1/journeys/counter/publish");
      assert.equal(published.status, 200, JSON.stringify(published.body));
    };
    await setup(server.url);

    // Batches of events with fixed ids, each user's n values unique.
    const batches = Array.from({ length: BATCHES }, (_, b) => ({
      events: Array.from({ length: PER_BATCH }, (_, i) => {
        const n = b * PER_BATCH + i;
        return { id: `evt-${n}`, userId: `user-${n % USERS}`, name: "hit", properties: { n } };
      }),
    }));
    const acknowledged = new Set<number>();
    let kills = 0;
    let next = 0;
    let killAt = 5 + Math.floor(Math.random() * 10);
    while (next < batches.length) {
      const current = server;
      const sending = batches.slice(next, next + 4).map(async (batch, i) => {
        const response = await request(current.url, "POST", "/v1/events", batch).catch(() => undefined);
        return response?.status === 202 ? next + i : undefined;
      });
      if (next >= killAt && kills < 4) {
        // Kill while requests are in flight.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 15));
        await current.kill("SIGKILL");
        kills++;
        killAt = next + 5 + Math.floor(Math.random() * 10);
      }
      const results = await Promise.all(sending);
      const done = results.filter((r): r is number => r !== undefined);
      for (const b of done) acknowledged.add(b);
      if (current.child.exitCode !== null || current.child.signalCode !== null) {
        server = await spawnServer(db);
      }
      // Advance past the batches acknowledged in order; unacknowledged ones are retried as is.
      while (acknowledged.has(next)) next++;
      // Resend anything not acknowledged among the window on the next round.
    }
    assert.ok(kills >= 3, `killed ${kills} times`);
    const url = server.url;

    // Every user's hit counter equals the number of distinct events sent for them.
    for (let u = 0; u < USERS; u++) {
      const expected = (BATCHES * PER_BATCH) / USERS;
      await eventually(
        async () => {
          const { body } = await request(url, "GET", `/v1/users/user-${u}`);
          return body?.attributes?.hits === expected ? true : undefined;
        },
        30_000,
        `user-${u} hits = ${expected}`,
      ).catch(async (error) => {
        const { body } = await request(url, "GET", `/v1/users/user-${u}`);
        throw new Error(`${(error as Error).message}; got ${body?.attributes?.hits}`);
      });
    }

    // No idempotency key twice in the outbox, one delivery per event.
    const keys: string[] = [];
    for (let after = 0; ; ) {
      const { body } = await request(url, "GET", `/v1/deliveries?limit=1000&after=${after}`);
      keys.push(...body.deliveries.map((d: Body) => d.idempotencyKey));
      if (!body.next) break;
      after = body.next;
    }
    assert.equal(keys.length, BATCHES * PER_BATCH);
    assert.equal(new Set(keys).size, keys.length);

    // No instance on two nodes: each (user, key) has exactly one instance row, on a real node.
    const { body: user } = await request(url, "GET", "/v1/users/user-0");
    const all = [...user.instances, ...user.history];
    assert.equal(all.length, (BATCHES * PER_BATCH) / USERS);
    assert.equal(new Set(all.map((i: Body) => i.key)).size, all.length);
    for (const instance of all) assert.ok(["count", "wait", "end"].includes(instance.node));
  });
});
