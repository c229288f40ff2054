import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { eventually, startServer, TEST_KEY } from "../support/server.js";

/**
 * An overloaded server refuses new events with 429 (and changes nothing) instead of piling up
 * acknowledgements it cannot apply for minutes; once the executor catches up it accepts again.
 */
describe("backpressure on ingest", () => {
  const dir = mkdtempSync(join(tmpdir(), "journeys-backpressure-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, "journeys.db");
  const events = (from: number, count: number) => ({
    events: Array.from({ length: count }, (_, i) => ({ userId: `u${from + i}`, name: "seen" })),
  });

  it("answers 429 with Retry-After while the backlog is over the limit, and accepts again once applied", async () => {
    const first = await startServer(db, { maxBacklog: 5 });
    try {
      // The executor stops applying: everything appended from now on stays in the backlog.
      await first.running.engine.executor.stop();
      assert.equal((await first.api("POST", "/v1/events", events(0, 8))).status, 202);
      assert.equal(first.running.engine.backlog(), 8);
      const refused = await fetch(`${first.url}/v1/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
        body: JSON.stringify(events(8, 1)),
      });
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get("retry-after"), "1");
      const body = (await refused.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, "OVERLOADED");
      assert.match(body.error.message, /8 events are waiting/);
      assert.equal(first.running.engine.backlog(), 8, "a refused request appends nothing");
    } finally {
      await first.close();
    }
    // A restarted server applies the backlog, then takes events again.
    const second = await startServer(db, { maxBacklog: 5 });
    try {
      await eventually(async () => second.running.engine.backlog() === 0, 10_000, "the backlog applied");
      assert.equal((await second.api("POST", "/v1/events", events(9, 1))).status, 202);
    } finally {
      await second.close();
    }
  });
});
