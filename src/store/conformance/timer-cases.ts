import assert from "node:assert/strict";
import { describe } from "node:test";
import type { TimerCursor } from "../types.js";
import type { StorageCase } from "./case.js";
import { A, B, batch, changes, timer } from "./fixtures.js";

/** Conformance of durable timers: due order, cursor paging, setting again, cancel and delete. */
export function timerCases(name: string, test: StorageCase): void {
  describe(`${name} conformance: timers`, () => {
    test("timers come due in (due, user, id) order with their project and partition", async ({ store }) => {
      const timers = [timer("t3", 300), timer("t1", 100, "u2"), timer("t2", 100, "u1"), timer("t9", 900)];
      await store.commit(batch(1, [changes(A, { timersSet: timers })], 4));
      const due = await store.dueTimers(300, 10);
      assert.deepEqual(
        due.map((t) => t.id),
        ["t2", "t1", "t3"],
      );
      assert.deepEqual(due[0], { ...timer("t2", 100, "u1"), project: A, partition: 4 });
      assert.deepEqual(
        (await store.dueTimers(1_000, 2)).map((t) => t.id),
        ["t2", "t1"],
      );
      assert.equal(await store.countTimers(), 4);
    });

    test("timersBetween pages without skipping timers that share a due time", async ({ store }) => {
      const timers = ["u1", "u2", "u3", "u4", "u5"].map((u) => timer(`t-${u}`, 500, u));
      timers.push(timer("early", 400), timer("late", 700));
      await store.commit(batch(1, [changes(A, { timersSet: timers })]));
      const seen: string[] = [];
      let cursor: TimerCursor = { due: -1, userId: "", id: "" };
      for (
        let page = await store.timersBetween(cursor, 600, 2);
        ;
        page = await store.timersBetween(cursor, 600, 2)
      ) {
        seen.push(...page.map((t) => t.id));
        const last = page[page.length - 1];
        if (page.length < 2 || !last) break;
        cursor = { due: last.due, userId: last.userId, id: last.id };
      }
      assert.deepEqual(seen, ["early", "t-u1", "t-u2", "t-u3", "t-u4", "t-u5"]);
      assert.deepEqual(
        (await store.timersBetween({ due: 500, userId: "u3", id: "t-u3" }, 800, 10)).map((t) => t.id),
        ["t-u4", "t-u5", "late"],
      );
    });

    test("timersBetween never ends a page between timers that differ only by project", async ({ store }) => {
      await store.commit(batch(1, [changes(A, { timersSet: [timer("t1", 500)] })]));
      await store.commit(batch(2, [changes(B, { timersSet: [timer("t1", 500), timer("t2", 600)] })]));
      const seen: string[] = [];
      let cursor: TimerCursor = { due: -1, userId: "", id: "" };
      for (
        let page = await store.timersBetween(cursor, 1_000, 1);
        ;
        page = await store.timersBetween(cursor, 1_000, 1)
      ) {
        seen.push(...page.map((t) => `${t.project}/${t.id}`));
        const last = page[page.length - 1];
        if (page.length < 1 || !last) break;
        cursor = { due: last.due, userId: last.userId, id: last.id };
      }
      assert.deepEqual(seen.sort(), [`${A}/t1`, `${B}/t1`, `${B}/t2`]);
    });

    test("a timer set again is the same timer; cancelled and deleted timers are gone", async ({ store }) => {
      // A timer id names one due time (the engine derives ids from it): setting it again, in a
      // later batch (a replay after a crash) or in the same one, keeps one row.
      await store.commit(
        batch(1, [changes(A, { timersSet: [timer("t1", 200), timer("t2", 100), timer("t3", 100)] })]),
      );
      await store.commit(batch(2, [changes(A, { timersSet: [timer("t1", 200), timer("t1", 200)] })]));
      assert.equal(await store.countTimers(), 3);
      await store.commit(
        batch(3, [
          changes(A, {
            timersCancelled: [
              { userId: "u1", timerId: "t2", due: 100 },
              // Not there (another user, another due): nothing else goes.
              { userId: "u2", timerId: "t3", due: 100 },
              { userId: "u1", timerId: "t1", due: 999 },
            ],
          }),
        ]),
      );
      const [t3] = await store.dueTimers(150, 10);
      assert.ok(t3);
      await store.deleteTimers([t3, { ...t3, id: "never-existed" }]);
      assert.deepEqual(
        (await store.dueTimers(1_000, 10)).map((t) => [t.id, t.due]),
        [["t1", 200]],
      );
      assert.equal(await store.countTimers(), 1);
    });
  });
}
