import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { JsonObject } from "../../src/core/model.js";
import { Engine } from "../../src/runtime/engine.js";
import type { BatchReport } from "../../src/runtime/executor.js";
import { openSqlite } from "../../src/store/sqlite/open.js";
import { ManualClock } from "../support/manual-clock.js";
import { tempDir } from "../support/server.js";

/**
 * Events no journey or segment names (page views...) are skipped, without reading their user,
 * while the executor knows they would change nothing; from the moment they could (here: a
 * customer lapsing into a win-back segment) they run again. On a real SQLite file.
 */
describe("quiet events", () => {
  const temp = tempDir();
  after(() => temp.cleanup());

  const HOUR = 3_600_000;
  const lapsed: JsonObject = {
    id: "lapsed",
    condition: {
      all: [{ performed: { event: "order" } }, { not: { performed: { event: "order", within: "1h" } } }],
    },
  };
  const winBack = {
    id: "win-back",
    entry: { segment: "lapsed", on: "enter" },
    start: "wait",
    nodes: { wait: { edges: [{ to: "done", when: { after: "1d" } }] }, done: {} },
  };

  async function withEngine(
    file: string,
    quietUsers: number | undefined,
    use: (engine: Engine, clock: ManualClock, skipped: () => number) => Promise<void>,
  ): Promise<void> {
    const storage = openSqlite({ path: join(temp.dir, file) });
    await storage.store.migrate();
    const clock = new ManualClock(Date.UTC(2026, 11, 3, 12, 0, 0));
    const batches: BatchReport[] = [];
    const engine = new Engine({
      store: storage.store,
      log: storage.log,
      clock,
      partitions: 1,
      delivery: false,
      segmentRefreshMs: 0,
      ...(quietUsers !== undefined ? { quietUsers } : {}),
      onBatch: (batch) => batches.push(batch),
    });
    await engine.start();
    try {
      await storage.store.putDocument("p", "segment", "lapsed", lapsed);
      await engine.catalogs.reload("p");
      await engine.journeys.create("p", winBack);
      await engine.journeys.publish("p", "win-back");
      await use(engine, clock, () => batches.reduce((sum, batch) => sum + batch.skipped, 0));
    } finally {
      await engine.stop();
      await storage.close();
    }
  }

  async function settle(engine: Engine): Promise<void> {
    while (engine.backlog() > 0) await new Promise((resolve) => setTimeout(resolve, 2));
  }

  async function views(engine: Engine, userId: string, count: number): Promise<void> {
    await engine.ingest(
      "p",
      Array.from({ length: count }, () => ({ userId, name: "page_view" })),
    );
    await settle(engine);
  }

  const journeys = async (engine: Engine, userId: string) =>
    ((await engine.user("p", userId))?.instances ?? []).map((i) => `${i.journeyId}:${i.node}`);

  it("skips a user's page views until they lapse, and the first one after enters them", async () => {
    await withEngine("lapse.db", undefined, async (engine, clock, skipped) => {
      await engine.identify("p", "ada", { attributes: { plan: "pro" } });
      await engine.ingest("p", [{ userId: "ada", name: "order" }]);
      await settle(engine);
      await views(engine, "ada", 5);
      assert.equal(skipped(), 5, "an hour from her order nothing can change for her");
      assert.deepEqual(await journeys(engine, "ada"), []);

      clock.advance(2 * HOUR);
      await views(engine, "ada", 1);
      assert.equal(skipped(), 5, "past the hour the page view is run");
      assert.deepEqual(await journeys(engine, "ada"), ["win-back:wait"], "and it enters her");

      // In the journey, waiting a day: nothing a page view can change before then.
      await views(engine, "ada", 3);
      assert.equal(skipped(), 8);
    });
  });

  it("runs a page view that follows a named event in the same batch", async () => {
    await withEngine("order.db", undefined, async (engine, _clock, skipped) => {
      await engine.identify("p", "bob", {});
      await views(engine, "bob", 2);
      assert.equal(skipped(), 2, "bob has never ordered: his page views can change nothing");
      await engine.ingest("p", [
        { userId: "bob", name: "order" },
        { userId: "bob", name: "page_view" },
      ]);
      await settle(engine);
      assert.equal(skipped(), 2, "the order came first: bob's page view is judged on his new state");
    });
  });

  it("stops skipping an event once a journey names it", async () => {
    await withEngine("named.db", undefined, async (engine, _clock, skipped) => {
      await engine.identify("p", "cy", {});
      await views(engine, "cy", 1);
      assert.equal(skipped(), 1);
      await engine.journeys.create("p", {
        id: "browse",
        entry: { event: "page_view" },
        start: "a",
        nodes: { a: { edges: [{ to: "b", when: { after: "1h" } }] }, b: {} },
      });
      await engine.journeys.publish("p", "browse");
      await views(engine, "cy", 1);
      assert.equal(skipped(), 1);
      assert.deepEqual(await journeys(engine, "cy"), ["browse:a"]);
    });
  });

  it("runs a page view of an erased user (it makes their profile again)", async () => {
    await withEngine("erase.db", undefined, async (engine, _clock, skipped) => {
      await engine.identify("p", "dee", {});
      await views(engine, "dee", 1);
      assert.equal(skipped(), 1);
      await engine.erase("p", "dee");
      assert.equal(await engine.user("p", "dee"), undefined);
      await views(engine, "dee", 1);
      assert.equal(skipped(), 1);
      assert.ok((await engine.user("p", "dee"))?.profile, "the page view made her profile again");
    });
  });

  it("runs every event with quietUsers 0, to the same end", async () => {
    await withEngine("off.db", 0, async (engine, clock, skipped) => {
      await engine.identify("p", "ada", {});
      await engine.ingest("p", [{ userId: "ada", name: "order" }]);
      await settle(engine);
      await views(engine, "ada", 5);
      clock.advance(2 * HOUR);
      await views(engine, "ada", 1);
      assert.equal(skipped(), 0);
      assert.deepEqual(await journeys(engine, "ada"), ["win-back:wait"]);
      assert.equal(engine.executor.quietCapacity, 0);
    });
  });
});
