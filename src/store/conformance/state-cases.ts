import assert from "node:assert/strict";
import { describe } from "node:test";
import type { EmittedEvent } from "../../core/effect.js";
import type { StorageCase } from "./case.js";
import {
  A,
  B,
  batch,
  byKey,
  changes,
  delivery,
  entry,
  event,
  instance,
  json,
  line,
  profile,
  timer,
} from "./fixtures.js";

/** Conformance of commit: state round trips, atomicity, emitted events, offsets, fencing, journal, paging. */
export function stateCases(name: string, test: StorageCase): void {
  describe(`${name} conformance: commit and state`, () => {
    test("a new store is empty and migrate can run again", async ({ store }) => {
      await store.migrate();
      await store.migrate();
      assert.equal(await store.consumedOffset(0), 0);
      assert.equal(await store.countTimers(), 0);
      const state = (await store.loadUsers(A, ["u1"])).get("u1");
      assert.ok(state === undefined || (state.profile === undefined && state.instances.length === 0));
    });

    test("committed profiles and instances load back exactly", async ({ store }) => {
      const instances = [
        instance("u1", "j1", "", {
          timerId: "t1",
          timerDue: 9_000,
          entryProperties: { total: 60, items: ["a"] },
        }),
        instance("u1", "j2", "cart-7", {
          status: "exited",
          exitedAt: 3_000,
          exitReason: "goal",
          converted: 2_500,
        }),
        instance("u2", "j1", "", { status: "held", step: 3, engagement: 6 }),
      ];
      const profiles = [profile("u1", { plan: "pro", nested: { a: [1, null, true] } }), profile("u2")];
      await store.commit(batch(7, [changes(A, { profiles, instances })]));
      const loaded = await store.loadUsers(A, ["u1", "u2", "ghost"]);
      assert.deepEqual(loaded.get("u1")?.profile, json(profiles[0]));
      assert.deepEqual(loaded.get("u2")?.profile, json(profiles[1]));
      const all = [...(loaded.get("u1")?.instances ?? []), ...(loaded.get("u2")?.instances ?? [])];
      assert.deepEqual(all.sort(byKey), json(instances).sort(byKey));
      const ghost = loaded.get("ghost");
      assert.ok(ghost === undefined || (ghost.profile === undefined && ghost.instances.length === 0));
      assert.equal(await store.consumedOffset(0), 7);
      assert.equal(await store.consumedOffset(1), 0);
    });

    test("users read one at a time come back as when read many at once", async ({ store }) => {
      const instances = [
        instance("u1", "j2", "b"),
        instance("u1", "j1", "z"),
        instance("u1", "j1", "a"),
        instance("u3", "j1", "", { status: "held" }),
      ];
      const profiles = [profile("u1"), profile("u2", { plan: "free" })];
      await store.commit(batch(1, [changes(A, { profiles, instances })]));
      const ids = ["u1", "u2", "u3", "ghost"];
      const together = await store.loadUsers(A, ids);
      for (const id of ids) assert.deepEqual((await store.loadUsers(A, [id])).get(id), together.get(id), id);
      const pair = await store.loadUsers(A, ["u3", "u1"]);
      assert.deepEqual([pair.get("u3"), pair.get("u1")], [together.get("u3"), together.get("u1")]);
      // Instances come in (journey, key) order; a user with instances and no profile has both.
      assert.deepEqual(
        together.get("u1")?.instances.map((i) => `${i.journeyId}/${i.key}`),
        ["j1/a", "j1/z", "j2/b"],
      );
      assert.equal(together.get("u3")?.profile, undefined);
      assert.equal(together.get("u3")?.instances.length, 1);
    });

    test("a later commit replaces profiles and instances by key", async ({ store }) => {
      await store.commit(
        batch(1, [changes(A, { profiles: [profile("u1", { v: 1 })], instances: [instance("u1")] })]),
      );
      const moved = instance("u1", "j1", "", { node: "push", step: 1, nodeAt: 2_000 });
      await store.commit(batch(2, [changes(A, { profiles: [profile("u1", { v: 2 })], instances: [moved] })]));
      const state = (await store.loadUsers(A, ["u1"])).get("u1");
      assert.deepEqual(state?.profile?.attributes, { v: 2 });
      assert.deepEqual(state?.instances, [json(moved)]);
    });

    test("a commit that fails midway changes nothing", async ({ store, log }) => {
      await store.commit(batch(1, [changes(A, { profiles: [profile("u1")] })]));
      const emitted: EmittedEvent = { id: "em1", userId: "u2", name: "bonus", properties: {}, timestamp: 5 };
      const good = changes(A, {
        profiles: [profile("u2")],
        instances: [instance("u2")],
        timersSet: [timer("t1", 5_000, "u2")],
        journal: [line("u2", 10)],
        emitted: [emitted],
        counters: [{ journeyId: "j1", node: "wait", entered: 1, exited: 0, converted: 0 }],
        deliveries: [delivery("k-good", { userId: "u2" })],
      });
      // A delivery without an idempotency key violates the schema after everything else was written.
      const bad = changes(B, { deliveries: [delivery(null as unknown as string)] });
      await assert.rejects(store.commit(batch(2, [good, bad])));
      assert.equal(await store.consumedOffset(0), 1);
      const u2 = (await store.loadUsers(A, ["u2"])).get("u2");
      assert.ok(u2 === undefined || (u2.profile === undefined && u2.instances.length === 0));
      assert.equal(await store.countTimers(), 0);
      assert.deepEqual(await store.journal(A, "u2", 10), []);
      assert.deepEqual(await store.listDeliveries({ project: A }), []);
      assert.deepEqual(await store.nodeStats(A, "j1"), []);
      assert.equal(await log.end(0), 0);
      // The emitted event id was not consumed by the failed attempt.
      await store.commit(batch(2, [good]));
      assert.equal(await log.end(0), 1);
      assert.equal(await store.consumedOffset(0), 2);
    });

    test("emitted events are appended to the batch's partition, once per id", async ({ store, log }) => {
      const emitted: EmittedEvent = {
        id: "em1",
        userId: "u1",
        name: "bonus",
        properties: { x: 1 },
        timestamp: 5,
      };
      await store.commit(batch(4, [changes(A, { emitted: [emitted] })], 3));
      await store.commit(batch(5, [changes(A, { emitted: [emitted] })], 3));
      const records = await log.read(3, 0, 10);
      assert.equal(records.length, 1);
      assert.equal(records[0]?.project, A);
      assert.equal(records[0]?.partition, 3);
      assert.deepEqual(records[0]?.input, { kind: "event", ...emitted });
      assert.deepEqual((await log.append([entry(event("em1"), 3)])).offsets, [null]);
    });

    test("consumed offsets are kept per partition", async ({ store }) => {
      await store.commit(batch(10, [], 1));
      await store.commit(batch(3, [], 2));
      assert.deepEqual(
        [await store.consumedOffset(1), await store.consumedOffset(2), await store.consumedOffset(0)],
        [10, 3, 0],
      );
    });

    test("a commit with an older epoch is fenced and changes nothing", async ({ store }) => {
      await store.commit(batch(1, [], 0, 2));
      await assert.rejects(store.commit(batch(2, [changes(A, { profiles: [profile("u1")] })], 0, 1)), {
        code: "FENCED",
      });
      assert.equal(await store.consumedOffset(0), 1);
      assert.equal((await store.loadUsers(A, ["u1"])).get("u1")?.profile, undefined);
      await store.commit(batch(2, [], 0, 2));
      await store.commit(batch(3, [], 0, 3));
      await assert.rejects(store.commit(batch(4, [], 0, 2)), { code: "FENCED" });
      await store.commit(batch(1, [], 1, 1));
      assert.equal(await store.consumedOffset(0), 3);
    });

    test("journal returns the newest lines, oldest first", async ({ store }) => {
      const lines = [1, 2, 3, 4, 5].map((at) => line("u1", at));
      await store.commit(batch(1, [changes(A, { journal: [...lines, line("u2", 9)] })]));
      assert.deepEqual(await store.journal(A, "u1", 3), json(lines.slice(2)));
      assert.deepEqual(await store.journal(A, "u1", 100), json(lines));
    });

    test("journal keeps the order of lines written together, at one moment or several", async ({ store }) => {
      // An entry and its wait at one moment, another user's lines between, a later step.
      const first = [
        line("u1", 5, "entered"),
        line("u1", 5, "waiting"),
        line("u2", 5),
        line("u1", 5, "sent"),
      ];
      const second = [line("u1", 7, "moved"), line("u1", 6, "late timer"), line("u1", 7, "exited")];
      await store.commit(batch(1, [changes(A, { journal: first })]));
      await store.commit(batch(2, [changes(A, { journal: second })]));
      const reasons = async (limit: number): Promise<string[]> =>
        (await store.journal(A, "u1", limit)).map((l) => l.reason);
      // By moment, then in the order written.
      const all = ["entered", "waiting", "sent", "late timer", "moved", "exited"];
      assert.deepEqual(await reasons(100), all);
      for (let limit = 0; limit <= all.length; limit++) {
        assert.deepEqual(await reasons(limit), limit === 0 ? [] : all.slice(-limit), `limit ${limit}`);
      }
      assert.deepEqual(await store.journal(A, "u1", 2), json([second[0], second[2]]));
      assert.deepEqual(await store.journal(A, "u2", 10), json([first[2]]));
    });

    test("userIds pages through a project's users in order", async ({ store }) => {
      const profiles = ["u3", "u1", "u5", "u2", "u4"].map((id) => profile(id));
      await store.commit(batch(1, [changes(A, { profiles }), changes(B, { profiles: [profile("u0")] })]));
      assert.deepEqual(await store.userIds(A, "", 2), ["u1", "u2"]);
      assert.deepEqual(await store.userIds(A, "u2", 2), ["u3", "u4"]);
      assert.deepEqual(await store.userIds(A, "u4", 2), ["u5"]);
    });

    test("instancesOfJourney pages by user without splitting a user's instances", async ({ store }) => {
      const instances = [
        instance("u1", "j1", "a"),
        instance("u1", "j1", "b"),
        instance("u2", "j1"),
        instance("u3", "j1", "a"),
        instance("u3", "j1", "b"),
        instance("u3", "j2"),
      ];
      await store.commit(batch(1, [changes(A, { instances })]));
      const first = await store.instancesOfJourney(A, "j1", "", 2);
      assert.deepEqual(first.map((i) => `${i.userId}/${i.key}`).sort(), ["u1/a", "u1/b", "u2/"]);
      const second = await store.instancesOfJourney(A, "j1", "u2", 2);
      assert.deepEqual(second.map((i) => `${i.userId}/${i.key}`).sort(), ["u3/a", "u3/b"]);
      assert.deepEqual(second.sort(byKey), json(instances.slice(3, 5)));
      assert.deepEqual(await store.instancesOfJourney(A, "j1", "u3", 2), []);
    });
  });
}
