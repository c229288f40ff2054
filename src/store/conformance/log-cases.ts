import assert from "node:assert/strict";
import { describe } from "node:test";
import type { EventInput, Input } from "../../core/input.js";
import type { StorageCase } from "./case.js";
import { A, B, entry, event } from "./fixtures.js";

/** Conformance of the Log: ordering, paging, trim and deduplication. */
export function logCases(name: string, test: StorageCase): void {
  describe(`${name} conformance: log`, () => {
    test("offsets start at 1 and increase per partition, independently", async ({ log }) => {
      const { offsets } = await log.append([
        entry(event("a"), 0),
        entry(event("b"), 1),
        entry(event("c"), 0),
      ]);
      assert.deepEqual(offsets, [1, 1, 2]);
      const records = await log.read(0, 0, 10);
      assert.deepEqual(
        records.map((r) => [r.offset, r.partition, r.project, r.appendedAt, r.input]),
        [
          [1, 0, A, 1_000, event("a")],
          [2, 0, A, 1_000, event("c")],
        ],
      );
      assert.equal(await log.end(0), 2);
      assert.equal(await log.end(1), 1);
      assert.equal(await log.end(7), 0);
    });

    test("read returns entries after an offset, at most max, in order", async ({ log }) => {
      await log.append(["a", "b", "c", "d", "e"].map((id) => entry(event(id))));
      const page = await log.read(0, 2, 2);
      assert.deepEqual(
        page.map((r) => [r.offset, (r.input as EventInput).id]),
        [
          [3, "c"],
          [4, "d"],
        ],
      );
      assert.deepEqual(await log.read(0, 5, 10), []);
      assert.deepEqual((await log.append([])).offsets, []);
    });

    test("concurrent appends all land, each at its own offset", async ({ log }) => {
      const ids = Array.from({ length: 20 }, (_, i) => `e${i}`);
      const results = await Promise.all(ids.map((id) => log.append([entry(event(id))])));
      const offsets = results.map((r) => r.offsets[0]);
      assert.deepEqual(
        [...offsets].sort((x, y) => (x as number) - (y as number)),
        ids.map((_, i) => i + 1),
      );
      const read = await log.read(0, 0, 100);
      for (const [i, id] of ids.entries()) {
        const input = read.find((r) => r.offset === offsets[i])?.input as EventInput | undefined;
        assert.equal(input?.id, id);
      }
    });

    test("trim drops consumed entries and offsets are never reused", async ({ log }) => {
      await log.append(["a", "b", "c"].map((id) => entry(event(id))));
      await log.trim(0, 2);
      assert.deepEqual(
        (await log.read(0, 0, 10)).map((r) => r.offset),
        [3],
      );
      await log.trim(0, 3);
      assert.deepEqual(await log.read(0, 0, 10), []);
      assert.equal(await log.end(0), 3);
      assert.deepEqual((await log.append([entry(event("d"))])).offsets, [4]);
    });

    test("an event id already appended is skipped, in the same call and across calls", async ({ log }) => {
      assert.deepEqual((await log.append([entry(event("e1")), entry(event("e1"))])).offsets, [1, null]);
      assert.deepEqual((await log.append([entry(event("e1")), entry(event("e2"))])).offsets, [null, 2]);
      assert.equal((await log.read(0, 0, 10)).length, 2);
    });

    test("deduplication survives trim and spans partitions", async ({ log }) => {
      await log.append([entry(event("e1"))]);
      await log.trim(0, 1);
      assert.deepEqual((await log.append([entry(event("e1")), entry(event("e1"), 5)])).offsets, [null, null]);
    });

    test("ids are per project; inputs with ids are deduplicated, timers never", async ({ log }) => {
      assert.deepEqual(
        (await log.append([entry(event("e1"), 0, A), entry(event("e1"), 0, B)])).offsets,
        [1, 2],
      );
      const identify: Input = { kind: "profile", id: "p1", userId: "u1", attributes: { plan: "pro" } };
      assert.deepEqual((await log.append([entry(identify), entry(identify)])).offsets, [3, null]);
      const fired: Input = { kind: "timer", userId: "u1", journeyId: "j1", key: "", timerId: "t1", due: 5 };
      assert.deepEqual((await log.append([entry(fired), entry(fired)])).offsets, [4, 5]);
    });
  });
}
