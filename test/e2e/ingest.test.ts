import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { partitionOf } from "../../src/core/hash.js";
import type { EventInput } from "../../src/core/input.js";
import { RequestError } from "../../src/runtime/errors.js";
import { startServer, type TestServer } from "../support/server.js";

/** What reaches the log from `POST /v1/events` and `Engine.ingest`, on a real file. */
describe("event ingest", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  async function logged(userId: string): Promise<EventInput[]> {
    const { engine } = server.running;
    const partition = partitionOf("test", userId, engine.partitions);
    const records = await engine.log.read(partition, 0, 1000);
    return records
      .map((record) => record.input)
      .filter((input): input is EventInput => input.kind === "event" && input.userId === userId);
  }

  it("logs an ISO 8601 timestamp and an epoch one as epoch milliseconds, and now when absent", async () => {
    const before = Date.now();
    const response = await server.api("POST", "/v1/events", {
      events: [
        { userId: "tess", name: "a", timestamp: "2026-01-02T03:04:05.678+01:00" },
        { userId: "tess", name: "b", timestamp: 1_700_000_000_000 },
        { userId: "tess", name: "c" },
      ],
    });
    assert.equal(response.status, 202);
    const [a, b, c] = await logged("tess");
    assert.equal(a?.timestamp, Date.UTC(2026, 0, 2, 2, 4, 5, 678));
    assert.equal(b?.timestamp, 1_700_000_000_000);
    assert.ok((c?.timestamp ?? 0) >= before);
  });

  it("refuses a malformed timestamp with its path and logs nothing of the batch", async () => {
    const response = await server.api("POST", "/v1/events", {
      events: [
        { userId: "ugo", name: "a" },
        { userId: "ugo", name: "b", timestamp: "yesterday" },
      ],
    });
    assert.equal(response.status, 400);
    assert.match(JSON.stringify(response.body), /events\.1\.timestamp|events\[1\]\.timestamp/);
    // Engine.ingest (the library entry) checks what the HTTP schema would have.
    await assert.rejects(
      server.running.engine.ingest("test", [
        { userId: "ugo", name: "a" },
        { userId: "ugo", name: "b", timestamp: "2026-13-45" },
      ]),
      (error: unknown) =>
        error instanceof RequestError && error.status === 400 && error.path === "events[1].timestamp",
    );
    assert.deepEqual(await logged("ugo"), []);
  });
});
