import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { A, batch, changes, delivery } from "../store/conformance/fixtures.js";
import { openSqlite } from "../store/sqlite/open.js";
import { Dispatcher } from "./dispatcher.js";
import { ProviderRegistry } from "./provider-registry.js";

const root = mkdtempSync(join(tmpdir(), "journeys-dispatcher-"));
after(() => rmSync(root, { recursive: true, force: true }));

describe("dispatcher hand-over", () => {
  it("takes nothing once stopped, and puts back what a commit still handed over, due at once", async () => {
    const storage = openSqlite({ path: join(root, "handed.db") });
    try {
      const { store } = storage;
      const clock = { now: () => 2_000 };
      const dispatcher = new Dispatcher({
        store,
        clock,
        registry: new ProviderRegistry(store, { now: clock.now, allowPrivateUrls: false }),
        journeyStatus: () => "published",
        feedback: async () => {},
        pollMs: 60_000,
      });
      dispatcher.start();
      await dispatcher.stop();
      assert.equal(dispatcher.room(), 0);
      // A commit that read the room before the stop: its delivery comes to a stopped dispatcher.
      const { leased } = await store.commit(batch(1, [changes(A, { deliveries: [delivery("k1")] })]), {
        now: 1_500,
        limit: 1,
      });
      assert.equal(leased.length, 1);
      dispatcher.take(leased);
      await new Promise((resolve) => setImmediate(resolve));
      const stored = await store.findDeliveryByKey("k1");
      assert.deepEqual(
        [stored?.status, stored?.nextAttemptAt, stored?.attempts, stored?.reason],
        ["queued", 2_000, 0, "dispatcher stopped"],
      );
      // Queued again, it is claimed as any other (not left to its lease).
      assert.equal((await store.claimDeliveries(2_000, 10)).length, 1);
    } finally {
      await storage.store.close();
    }
  });
});
