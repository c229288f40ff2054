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

  it("counts the events emit actions append in the backlog until they are applied", async () => {
    const backlogs: number[] = [];
    let server: Awaited<ReturnType<typeof startServer>> | undefined;
    server = await startServer(undefined, {
      engine: {
        onBatch: (batch) => {
          if (batch.changes?.some((change) => change.emitted.length > 0))
            backlogs.push(server?.running.engine.backlog() ?? -1);
        },
      },
    });
    try {
      const relay = {
        id: "relay",
        name: "Relay",
        entry: { event: "go" },
        start: "fan",
        nodes: {
          fan: {
            actions: [{ emit: { event: "one" } }, { emit: { event: "two" } }, { emit: { event: "three" } }],
          },
        },
      };
      assert.equal((await server.api("POST", "/v1/journeys", relay)).status, 201);
      assert.equal((await server.api("POST", "/v1/journeys/relay/publish")).status, 200);
      assert.equal(
        (await server.api("POST", "/v1/events", { events: [{ userId: "ada", name: "go" }] })).status,
        202,
      );
      await eventually(async () => backlogs.length > 0, 10_000, "the emitting batch committed");
      // Right after the commit the three emitted events wait in the log, not yet applied.
      assert.equal(backlogs[0], 3);
      await eventually(
        async () => server?.running.engine.backlog() === 0,
        10_000,
        "the emitted events applied",
      );
    } finally {
      await server.close();
    }
  });
});
