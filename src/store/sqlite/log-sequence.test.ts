import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { EventInput } from "../../core/input.js";
import type { LogEntry } from "../types.js";
import { openDriver } from "./driver.js";
import { openSqlite } from "./open.js";
import { readSqlFile } from "./sql-files.js";

const root = mkdtempSync(join(tmpdir(), "journeys-log-"));
const nextPath = (): string => join(root, `${randomUUID()}.db`);
after(() => rmSync(root, { recursive: true, force: true }));

function entry(id: string, partition = 0): LogEntry {
  const input: EventInput = { kind: "event", id, userId: "u1", name: "viewed", properties: {}, timestamp: 1 };
  return { project: "acme", partition, input, appendedAt: 1_000 };
}

const ids = (records: { input: unknown }[]): string[] => records.map((r) => (r.input as EventInput).id);

describe("sqlite log keyed by append order", () => {
  it("an append over many partitions writes the table's last page, not a page per partition", async () => {
    const storage = openSqlite({ path: nextPath(), groupCommit: false });
    try {
      const db = storage.connection.db;
      // 64 partitions with ~20 entries each: under (partition, offset) keys each has its own last page.
      for (let round = 0; round < 20; round++) {
        await storage.log.append(Array.from({ length: 64 }, (_, p) => entry(`r${round}-${p}`, p)));
      }
      db.pragma("wal_checkpoint(TRUNCATE)");
      await storage.log.append(Array.from({ length: 16 }, (_, i) => entry(`last-${i}`, i * 4)));
      const [wal] = db.pragma("wal_checkpoint(PASSIVE)") as { log: number }[];
      // The log's last page (and a new one when it fills), the partitions row, the event ids (and their index).
      assert.ok((wal?.log ?? 99) <= 6, `an append of 16 entries over 16 partitions wrote ${wal?.log} pages`);
    } finally {
      await storage.close();
    }
  });

  it("entries another connection appends are read, and a reopened file knows every partition's entries", async () => {
    const path = nextPath();
    // No memory tail: what this exercises is finding the rows in the table.
    const reader = openSqlite({ path, tailSize: 0 });
    const writer = openSqlite({ path, tailSize: 0 });
    try {
      await reader.log.append([entry("a", 0), entry("b", 1)]);
      await writer.log.append([entry("c", 0), entry("d", 1), entry("e", 0)]);
      await reader.log.append([entry("f", 0)]);
      assert.deepEqual(ids(await reader.log.read(0, 0, 10)), ["a", "c", "e", "f"]);
      assert.deepEqual(ids(await reader.log.read(1, 0, 10)), ["b", "d"]);
      assert.deepEqual(ids(await writer.log.read(0, 1, 2)), ["c", "e"]);
    } finally {
      await writer.close();
      await reader.close();
    }
    const reopened = openSqlite({ path, tailSize: 0 });
    try {
      assert.deepEqual(ids(await reopened.log.read(0, 0, 10)), ["a", "c", "e", "f"]);
      assert.deepEqual(ids(await reopened.log.read(1, 1, 10)), ["d"]);
    } finally {
      await reopened.close();
    }
  });

  it("rows leave the table once every partition has trimmed past them; trim points survive reopening", async () => {
    const path = nextPath();
    const storage = openSqlite({ path });
    const rows = (): number =>
      (storage.connection.db.prepare("SELECT count(*) AS n FROM log").get() as { n: number }).n;
    try {
      await storage.log.append([
        entry("a0", 0),
        entry("b0", 1),
        entry("a1", 0),
        entry("b1", 1),
        entry("a2", 0),
      ]);
      await storage.log.trim(0, 2);
      // Partition 1 still needs its first row, which precedes a1: only a0 can go.
      assert.equal(rows(), 4);
      assert.deepEqual(ids(await storage.log.read(0, 0, 10)), ["a2"]);
      await storage.log.trim(1, 2);
      assert.equal(rows(), 1);
    } finally {
      await storage.close();
    }
    const reopened = openSqlite({ path, tailSize: 0 });
    try {
      assert.deepEqual(ids(await reopened.log.read(0, 0, 10)), ["a2"]);
      assert.deepEqual(await reopened.log.read(1, 0, 10), []);
      assert.equal(await reopened.log.end(1), 2);
      assert.deepEqual((await reopened.log.append([entry("b2", 1)])).offsets, [3]);
      assert.deepEqual(ids(await reopened.log.read(1, 0, 10)), ["b2"]);
    } finally {
      await reopened.close();
    }
  });

  it("one trim deletes a bounded number of rows; later trims delete the rest", async () => {
    const storage = openSqlite({ path: nextPath() });
    const rows = (): number =>
      (storage.connection.db.prepare("SELECT count(*) AS n FROM log").get() as { n: number }).n;
    try {
      await storage.log.append(Array.from({ length: 10_000 }, (_, i) => entry(`e${i}`)));
      await storage.log.trim(0, 10_000);
      assert.equal(rows(), 10_000 - 8_192);
      assert.deepEqual(await storage.log.read(0, 0, 10), []);
      await storage.log.trim(0, 10_000);
      // The newest row stays, so that the next append is numbered after it.
      assert.equal(rows(), 1);
      assert.deepEqual((await storage.log.append([entry("next")])).offsets, [10_001]);
      assert.deepEqual(ids(await storage.log.read(0, 0, 10)), ["next"]);
    } finally {
      await storage.close();
    }
  });

  it("a rolled-back transaction leaves no trace of the entries it appended", async () => {
    const storage = openSqlite({ path: nextPath() });
    try {
      await storage.log.append([entry("a")]);
      const writer = storage.connection.log;
      const failing = writer.transaction(() => {
        writer.append([entry("lost"), entry("lost-too", 1)]);
        throw new Error("disk on fire");
      });
      assert.throws(failing, /disk on fire/);
      await storage.log.append([entry("b"), entry("c", 1)]);
      const fresh = openSqlite({ path: storage.connection.path, tailSize: 0 });
      try {
        for (const log of [storage.log, fresh.log]) {
          assert.deepEqual(ids(await log.read(0, 0, 10)), ["a", "b"]);
          assert.deepEqual(ids(await log.read(1, 0, 10)), ["c"]);
        }
      } finally {
        await fresh.close();
      }
    } finally {
      await storage.close();
    }
  });

  it("appending outside a transaction is refused", () => {
    const storage = openSqlite({ path: nextPath() });
    try {
      assert.throws(() => storage.connection.log.append([entry("a")]), /inside LogWriter.transaction/);
    } finally {
      storage.connection.close();
    }
  });

  it("a file from schema version 1 keeps its log entries and trim points", async () => {
    const path = nextPath();
    const db = openDriver(path);
    db.exec(readSqlFile("001-initial.sql"));
    db.pragma("user_version = 1");
    const insert = db.prepare(
      `INSERT INTO log ("partition", "offset", project, event_id, input_json, appended_at) VALUES (?, ?, 'acme', ?, ?, 1000)`,
    );
    // Partition 0 was trimmed through offset 1 (its rows start at 2); partition 1 entirely.
    for (const [partition, offset, id] of [
      [0, 2, "a2"],
      [0, 3, "a3"],
    ] as const) {
      insert.run(partition, offset, id, JSON.stringify(entry(id, partition).input));
    }
    db.exec(`INSERT INTO partitions ("partition", log_end) VALUES (0, 3), (1, 5)`);
    db.close();
    const storage = openSqlite({ path });
    try {
      assert.deepEqual(ids(await storage.log.read(0, 0, 10)), ["a2", "a3"]);
      assert.deepEqual(await storage.log.read(1, 0, 10), []);
      assert.deepEqual((await storage.log.append([entry("a4", 0), entry("b6", 1)])).offsets, [4, 6]);
      assert.deepEqual(ids(await storage.log.read(1, 0, 10)), ["b6"]);
    } finally {
      await storage.close();
    }
  });
});
