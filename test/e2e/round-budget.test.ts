import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Engine } from "../../src/runtime/engine.js";
import { openSqlite } from "../../src/store/sqlite/open.js";
import { tempDir } from "../support/server.js";

/**
 * The executor's round budget follows its backlog: rounds that leave work double the next one's
 * budget up to the longest, rounds that take everything halve it down to the shortest.
 */
describe("executor round budget", () => {
  const temp = tempDir();
  after(() => temp.cleanup());

  it("grows while a backlog drains and shrinks again once the engine keeps up", async () => {
    const storage = openSqlite({ path: join(temp.dir, "rounds.db") });
    await storage.store.migrate();
    const budgets: number[] = [];
    const engine: Engine = new Engine({
      store: storage.store,
      log: storage.log,
      partitions: 1,
      batchSize: 10,
      roundBudgetMs: 40,
      minRoundBudgetMs: 5,
      delivery: false,
      segmentRefreshMs: 0,
      // The budget of the round committing this batch (one partition: one batch a round).
      onBatch: () => budgets.push(engine.executor.roundBudget),
    });
    await engine.start();
    try {
      // 200 events at once: every round's batch is full, so each leaves work for the next.
      const events = Array.from({ length: 200 }, (_, i) => ({ userId: `u${i % 7}`, name: "viewed" }));
      await engine.ingest("p", events);
      while (engine.backlog() > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(budgets.length, 20);
      assert.deepEqual(budgets.slice(0, 4), [5, 10, 20, 40], "doubling from the shortest");
      assert.ok(
        budgets.slice(3).every((ms) => ms === 40),
        `at the longest while behind: ${budgets}`,
      );
      // Then one input at a time, each applied before the next: every round takes all there is.
      budgets.length = 0;
      for (let i = 0; i < 5; i++) await engine.identify("p", "ada", { attributes: { n: i } });
      assert.deepEqual(budgets, [40, 20, 10, 5, 5], "halving down to the shortest");
    } finally {
      await engine.stop();
      await storage.close();
    }
  });
});
