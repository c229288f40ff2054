import assert from "node:assert/strict";
import { describe } from "node:test";
import type { StoredDelivery } from "../types.js";
import type { StorageCase } from "./case.js";
import { A, batch, changes, delivery, json } from "./fixtures.js";

/** Conformance of the outbox: idempotency, claims, leases, updates and listing. */
export function deliveryCases(name: string, test: StorageCase): void {
  describe(`${name} conformance: deliveries`, () => {
    const ids = (list: StoredDelivery[]): string[] => list.map((d) => d.idempotencyKey);

    test("a delivery whose idempotency key exists is ignored, so replays are harmless", async ({ store }) => {
      await store.commit(batch(1, [changes(A, { deliveries: [delivery("k1")] })]));
      const replay = delivery("k1", { payload: { subject: "changed" } });
      await store.commit(batch(2, [changes(A, { deliveries: [replay, delivery("k2")] })]));
      const list = await store.listDeliveries({ project: A });
      assert.deepEqual(ids(list), ["k1", "k2"]);
      const k1 = await store.findDeliveryByKey("k1");
      const { id, project, status, attempts, nextAttemptAt, updatedAt, ...request } = k1 as StoredDelivery;
      assert.deepEqual(request, json(delivery("k1")));
      assert.deepEqual([project, status, attempts, nextAttemptAt], [A, "queued", 0, 100]);
      assert.equal(typeof updatedAt, "number");
      assert.deepEqual(await store.getDelivery(A, id), k1);
      assert.equal(await store.findDeliveryByKey("missing"), undefined);
    });

    test("a delivery the engine skipped is stored as skipped and never claimed", async ({ store }) => {
      await store.commit(
        batch(1, [changes(A, { deliveries: [delivery("k1", { skipReason: "unsubscribed" })] })]),
      );
      const [stored] = await store.listDeliveries({ project: A });
      assert.equal(stored?.status, "skipped");
      assert.equal(stored?.skipReason, "unsubscribed");
      assert.deepEqual(await store.claimDeliveries(10_000, 10), []);
    });

    test("claimDeliveries hands each due delivery out once", async ({ store }) => {
      const deliveries = [
        delivery("k1"),
        delivery("k2", { notBefore: 200 }),
        delivery("k3", { notBefore: 300 }),
      ];
      await store.commit(batch(1, [changes(A, { deliveries })]));
      const first = await store.claimDeliveries(150, 10);
      assert.deepEqual(ids(first), ["k1"]);
      assert.equal(first[0]?.status, "sending");
      assert.deepEqual(await store.claimDeliveries(150, 10), []);
      assert.deepEqual(ids(await store.claimDeliveries(1_000, 1)), ["k2"]);
      assert.deepEqual(ids(await store.claimDeliveries(1_000, 10)), ["k3"]);
      assert.deepEqual(await store.claimDeliveries(1_000, 10), []);
    });

    test("a delivery left sending past its lease is claimed again", async ({ store }) => {
      await store.commit(batch(1, [changes(A, { deliveries: [delivery("k1"), delivery("k2")] })]));
      const claimed = await store.claimDeliveries(1_000, 10);
      assert.equal(claimed.length, 2);
      const [k1] = claimed;
      await store.updateDeliveries([{ id: (k1 as StoredDelivery).id, status: "sent", updatedAt: 1_100 }]);
      assert.deepEqual(await store.claimDeliveries(31_000, 10, 60_000), []);
      assert.deepEqual(ids(await store.claimDeliveries(70_000, 10, 60_000)), ["k2"]);
      assert.deepEqual(await store.claimDeliveries(70_000, 10, 60_000), []);
      assert.deepEqual(ids(await store.claimDeliveries(200_000, 10)), ["k2"]);
    });

    test("a commit with a lease writes due deliveries leased, up to its limit, and returns them", async ({
      store,
    }) => {
      const deliveries = [
        delivery("k1"),
        delivery("k2", { skipReason: "unsubscribed" }),
        delivery("k3", { notBefore: 5_000 }),
        delivery("k4"),
        delivery("k5"),
      ];
      const { leased, queuedDue } = await store.commit(batch(1, [changes(A, { deliveries })]), {
        now: 1_000,
        limit: 2,
      });
      // The skipped one is never sent and k3 is not due yet: neither is leased nor counted.
      assert.deepEqual(ids(leased), ["k1", "k4"]);
      assert.equal(queuedDue, 1);
      for (const d of leased) {
        assert.deepEqual(d, await store.findDeliveryByKey(d.idempotencyKey), "handed over as stored");
        assert.deepEqual([d.status, d.updatedAt, d.attempts], ["sending", 1_000, 0]);
      }
      // What was leased is not claimed while its lease runs; what was queued is.
      assert.deepEqual(ids(await store.claimDeliveries(1_000, 10, 60_000)), ["k5"]);
      // A lease never ended by an outcome (its process died) runs out: the delivery is claimed
      // again, as the claimed k5 is (k3 is due by then too).
      assert.deepEqual(ids(await store.claimDeliveries(61_000, 10, 60_000)), ["k1", "k4", "k5", "k3"]);
      // A replay finds its keys in the outbox: nothing new to lease.
      const replay = await store.commit(batch(2, [changes(A, { deliveries: [delivery("k1")] })]), {
        now: 62_000,
        limit: 10,
      });
      assert.deepEqual(replay, { leased: [], queuedDue: 0 });
      // Without a lease every delivery is queued and none reported.
      const plain = await store.commit(batch(3, [changes(A, { deliveries: [delivery("k6")] })]));
      assert.deepEqual(plain, { leased: [], queuedDue: 0 });
      assert.equal((await store.findDeliveryByKey("k6"))?.status, "queued");
    });

    test("updateDeliveries records outcomes and schedules retries", async ({ store }) => {
      await store.commit(batch(1, [changes(A, { deliveries: [delivery("k1")] })]));
      const [claimed] = await store.claimDeliveries(1_000, 10);
      const id = (claimed as StoredDelivery).id;
      await store.updateDeliveries([
        { id, status: "queued", attempts: 1, nextAttemptAt: 5_000, lastError: "timeout", updatedAt: 1_200 },
      ]);
      let stored = await store.getDelivery(A, id);
      assert.deepEqual(
        [stored?.status, stored?.attempts, stored?.nextAttemptAt, stored?.lastError, stored?.updatedAt],
        ["queued", 1, 5_000, "timeout", 1_200],
      );
      assert.deepEqual(await store.claimDeliveries(4_000, 10), []);
      assert.deepEqual(ids(await store.claimDeliveries(5_000, 10)), ["k1"]);
      await store.updateDeliveries([
        { id, status: "sent", lastError: null, providerMessageId: "m-1", updatedAt: 5_100 },
      ]);
      stored = await store.getDelivery(A, id);
      assert.deepEqual(
        [stored?.status, stored?.attempts, stored?.lastError, stored?.providerMessageId],
        ["sent", 1, undefined, "m-1"],
      );
      await store.updateDeliveries([{ id, status: "dead", reason: "bounced", updatedAt: 6_000 }]);
      assert.equal((await store.getDelivery(A, id))?.reason, "bounced");
    });

    test("listDeliveries filters by status, user and journey and pages by id", async ({ store }) => {
      const deliveries = [
        delivery("k1"),
        delivery("k2", { userId: "u2" }),
        delivery("k3", { journeyId: "j2" }),
        delivery("k4", { userId: "u2", journeyId: "j2" }),
        delivery("k5"),
      ];
      await store.commit(batch(1, [changes(A, { deliveries })]));
      const all = await store.listDeliveries({ project: A });
      assert.deepEqual(ids(all), ["k1", "k2", "k3", "k4", "k5"]);
      const k3 = all[2] as StoredDelivery;
      await store.updateDeliveries([{ id: k3.id, status: "dead", updatedAt: 2_000 }]);
      assert.deepEqual(ids(await store.listDeliveries({ project: A, status: "dead" })), ["k3"]);
      assert.deepEqual(ids(await store.listDeliveries({ project: A, status: "queued", journeyId: "j2" })), [
        "k4",
      ]);
      assert.deepEqual(ids(await store.listDeliveries({ project: A, userId: "u2" })), ["k2", "k4"]);
      assert.deepEqual(ids(await store.listDeliveries({ project: A, userId: "u1", journeyId: "j2" })), [
        "k3",
      ]);
      assert.deepEqual(ids(await store.listDeliveries({ project: A, userId: "u1", status: "queued" })), [
        "k1",
        "k5",
      ]);
      assert.deepEqual(ids(await store.listDeliveries({ project: A, journeyId: "j1" })), ["k1", "k2", "k5"]);
      const page = await store.listDeliveries({ project: A, limit: 2 });
      assert.deepEqual(ids(page), ["k1", "k2"]);
      const next = await store.listDeliveries({ project: A, limit: 2, after: page[1]?.id });
      assert.deepEqual(ids(next), ["k3", "k4"]);
    });
  });
}
