import assert from "node:assert/strict";
import { describe } from "node:test";
import type { ProjectChanges, StoredDelivery } from "../types.js";
import type { StorageCase } from "./case.js";
import { A, B, batch, changes, delivery, instance, line, profile, timer } from "./fixtures.js";

/** Conformance of tenant isolation, erasure, documents and node statistics. */
export function tenantCases(name: string, test: StorageCase): void {
  describe(`${name} conformance: tenants, erasure, documents, stats`, () => {
    test("one project never sees another's users, documents, deliveries, timers or journal", async ({
      store,
    }) => {
      const forA = changes(A, {
        profiles: [profile("u1", { tenant: "a" })],
        instances: [instance("u1")],
        deliveries: [delivery("k1")],
        journal: [line("u1", 1, "a")],
        timersSet: [timer("t1", 100)],
        counters: [{ journeyId: "j1", node: "wait", entered: 1, exited: 0, converted: 0 }],
      });
      const forB = changes(B, {
        profiles: [profile("u1", { tenant: "b" })],
        deliveries: [delivery("k1", { journeyId: "jb", payload: { subject: "b" } })],
      });
      await store.commit(batch(1, [forA, forB]));
      await store.putDocument(A, "journey", "j1", { name: "a" });
      assert.deepEqual((await store.loadUsers(B, ["u1"])).get("u1")?.profile?.attributes, { tenant: "b" });
      assert.deepEqual((await store.loadUsers(B, ["u1"])).get("u1")?.instances, []);
      assert.equal(await store.getDocument(B, "journey", "j1"), undefined);
      assert.deepEqual(await store.listDocuments(B, "journey"), []);
      assert.equal(await store.deleteDocument(B, "journey", "j1"), false);
      const [aDelivery] = await store.listDeliveries({ project: A });
      const [bDelivery] = await store.listDeliveries({ project: B });
      assert.deepEqual(bDelivery?.payload, { subject: "b" });
      assert.equal(await store.getDelivery(B, (aDelivery as StoredDelivery).id), undefined);
      assert.deepEqual(await store.journal(B, "u1", 10), []);
      assert.deepEqual(await store.nodeStats(B, "j1"), []);
      assert.deepEqual(await store.instancesOfJourney(B, "j1", "", 10), []);
      assert.deepEqual(
        (await store.dueTimers(1_000, 10)).map((t) => t.project),
        [A],
      );
      await store.eraseUser(B, "u1");
      assert.deepEqual((await store.loadUsers(A, ["u1"])).get("u1")?.profile?.attributes, { tenant: "a" });
      assert.equal((await store.listDeliveries({ project: A })).length, 1);
      assert.equal((await store.loadUsers(B, ["u1"])).get("u1")?.profile, undefined);
    });

    test("eraseUser removes the user's profile, instances, timers, deliveries and journal", async ({
      store,
    }) => {
      const forUser = (u: string): Partial<ProjectChanges> => ({
        profiles: [profile(u)],
        instances: [instance(u)],
        timersSet: [timer(`t-${u}`, 100, u)],
        deliveries: [delivery(`k-${u}`, { userId: u })],
        journal: [line(u, 1)],
      });
      const u1 = forUser("u1");
      const u2 = forUser("u2");
      await store.commit(
        batch(1, [
          changes(A, {
            profiles: [...(u1.profiles ?? []), ...(u2.profiles ?? [])],
            instances: [...(u1.instances ?? []), ...(u2.instances ?? [])],
            timersSet: [...(u1.timersSet ?? []), ...(u2.timersSet ?? [])],
            deliveries: [...(u1.deliveries ?? []), ...(u2.deliveries ?? [])],
            journal: [...(u1.journal ?? []), ...(u2.journal ?? [])],
          }),
        ]),
      );
      await store.eraseUser(A, "u1");
      const gone = (await store.loadUsers(A, ["u1"])).get("u1");
      assert.ok(gone === undefined || (gone.profile === undefined && gone.instances.length === 0));
      assert.deepEqual(await store.journal(A, "u1", 10), []);
      assert.deepEqual(await store.listDeliveries({ project: A, userId: "u1" }), []);
      assert.deepEqual(
        (await store.dueTimers(1_000, 10)).map((t) => t.userId),
        ["u2"],
      );
      const kept = (await store.loadUsers(A, ["u2"])).get("u2");
      assert.equal(kept?.instances.length, 1);
      assert.equal((await store.journal(A, "u2", 10)).length, 1);
      assert.equal((await store.listDeliveries({ project: A })).length, 1);
    });

    test("documents are created, replaced, listed by id and deleted", async ({ store }) => {
      await store.putDocument(A, "template", "welcome", { subject: "Hi", body: { html: "<p>x</p>" } });
      await store.putDocument(A, "template", "cart", { subject: "Cart" });
      await store.putDocument(A, "segment", "vip", { when: { "attributes.vip": true } });
      await store.putDocument(A, "template", "welcome", { subject: "Hello" });
      assert.deepEqual(await store.getDocument(A, "template", "welcome"), { subject: "Hello" });
      assert.deepEqual(await store.listDocuments(A, "template"), [
        { id: "cart", body: { subject: "Cart" } },
        { id: "welcome", body: { subject: "Hello" } },
      ]);
      assert.equal(await store.deleteDocument(A, "template", "cart"), true);
      assert.equal(await store.deleteDocument(A, "template", "cart"), false);
      assert.equal(await store.getDocument(A, "template", "cart"), undefined);
      assert.deepEqual((await store.listDocuments(A, "segment")).length, 1);
    });

    test("nodeStats adds counters, waiting counts and send outcomes per node", async ({ store }) => {
      const counter = (node: string, entered: number, exited = 0, converted = 0, waiting = 0) => ({
        journeyId: "j1",
        node,
        entered,
        exited,
        converted,
        waiting,
      });
      const instances = [
        instance("u1", "j1", "", { node: "wait" }),
        instance("u2", "j1", "", { node: "wait", status: "held" }),
        instance("u3", "j1", "", { node: "done", status: "exited" }),
        instance("u4", "j2", "", { node: "wait" }),
      ];
      const deliveries = ["k1", "k2", "k3", "k4", "k5"].map((k) => delivery(k, { nodeId: "push" }));
      await store.commit(
        batch(1, [
          changes(A, { instances, deliveries, counters: [counter("wait", 3, 0, 0, 3), counter("push", 2)] }),
        ]),
      );
      // Waiting counts are changes the committer supplies and the store adds up: three arrived at
      // `wait`, then one left it (u3, now exited at `done`).
      await store.commit(
        batch(2, [
          changes(A, {
            counters: [counter("push", 1), counter("done", 1, 1, 1), counter("wait", 0, 0, 0, -1)],
          }),
        ]),
      );
      const list = await store.listDeliveries({ project: A });
      const statuses = ["sent", "delivered", "failed", "dead", "sending"] as const;
      await store.updateDeliveries(
        list.map((d, i) => ({ id: d.id, status: statuses[i] ?? "sent", updatedAt: 9 })),
      );
      const stats = await store.nodeStats(A, "j1");
      const byNode = Object.fromEntries(stats.map((s) => [s.node, s]));
      assert.deepEqual(byNode.wait, {
        node: "wait",
        entered: 3,
        waiting: 2,
        exited: 0,
        converted: 0,
        sent: 0,
        failed: 0,
      });
      assert.deepEqual(byNode.push, {
        node: "push",
        entered: 3,
        waiting: 0,
        exited: 0,
        converted: 0,
        sent: 2,
        failed: 2,
      });
      assert.deepEqual(byNode.done, {
        node: "done",
        entered: 1,
        waiting: 0,
        exited: 1,
        converted: 1,
        sent: 0,
        failed: 0,
      });
      assert.equal(stats.length, 3);
      // The metrics scrape reads the waiting counts alone: the same ones, per node with stats.
      assert.deepEqual(await store.waitingCounts(A, "j1"), [
        { node: "done", waiting: 0 },
        { node: "push", waiting: 0 },
        { node: "wait", waiting: 2 },
      ]);
      assert.deepEqual(await store.waitingCounts(B, "j1"), []);
    });
  });
}
