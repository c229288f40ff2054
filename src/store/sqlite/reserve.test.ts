import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openDriver } from "./driver.js";
import { openSqlite } from "./open.js";

const root = mkdtempSync(join(tmpdir(), "journeys-reserve-"));
after(() => rmSync(root, { recursive: true, force: true }));

const MIB = 1024 * 1024;

/** Page count, free pages and page size of an open storage's file. */
function pagesOf(storage: ReturnType<typeof openSqlite>) {
  const { db } = storage.connection;
  return {
    pages: db.pragma("page_count", { simple: true }) as number,
    free: db.pragma("freelist_count", { simple: true }) as number,
    pageSize: db.pragma("page_size", { simple: true }) as number,
  };
}

describe("reserving space in the SQLite file (reserveBytes, --reserve-mib)", () => {
  it("grows a new file past 1 GiB of free pages, which the data then fills before the file grows", {
    timeout: 120_000,
  }, async () => {
    const path = join(root, "reserved.db");
    const storage = openSqlite({ path, reserveBytes: 1100 * MIB });
    let reopened: ReturnType<typeof openSqlite> | undefined;
    try {
      const first = pagesOf(storage);
      assert.ok(first.pages * first.pageSize >= 1100 * MIB, `${first.pages} pages`);
      // Past the lock-byte page (byte 1 GiB): what spares commits the page-cache scan.
      assert.ok(first.pages > 2 ** 30 / first.pageSize + 1);
      assert.ok(first.free > first.pages - 1000, `${first.free} of ${first.pages} pages free`);
      const tables = storage.connection.db
        .prepare("SELECT name FROM sqlite_master WHERE name = 'journeys_reserve'")
        .all();
      assert.deepEqual(tables, [], "the reservation's table is gone");
      assert.ok(!existsSync(`${path}-wal`) || statSync(`${path}-wal`).size < 64 * MIB, "the WAL is small");

      for (let i = 0; i < 200; i++) {
        await storage.store.putDocument("p", "note", `n${i}`, { text: "x".repeat(2000), i });
      }
      const filled = pagesOf(storage);
      assert.equal(filled.pages, first.pages, "the file did not grow");
      assert.ok(filled.free < first.free, "free pages were used");
      await storage.close();

      // Reopened with the same setting: nothing to add, everything kept.
      reopened = openSqlite({ path, reserveBytes: 1100 * MIB });
      assert.equal(pagesOf(reopened).pages, first.pages);
      assert.deepEqual(await reopened.store.getDocument("p", "note", "n199"), {
        text: "x".repeat(2000),
        i: 199,
      });
    } finally {
      if (storage.connection.isOpen) await storage.close();
      await reopened?.close();
    }
  });

  it("drops what a reservation cut short left behind, and leaves a large enough file alone", async () => {
    const path = join(root, "cut-short.db");
    await openSqlite({ path }).close();
    // A crash in the middle of a reservation leaves its table with some of its blobs.
    const db = openDriver(path);
    db.exec("CREATE TABLE journeys_reserve (b BLOB)");
    db.prepare("INSERT INTO journeys_reserve VALUES (zeroblob(?))").run(MIB);
    db.close();
    const storage = openSqlite({ path, reserveBytes: MIB });
    try {
      const tables = storage.connection.db
        .prepare("SELECT name FROM sqlite_master WHERE name = 'journeys_reserve'")
        .all();
      assert.deepEqual(tables, []);
      const { pages, free, pageSize } = pagesOf(storage);
      // Already a MiB or more: nothing added, and the dropped blob's pages are free.
      assert.ok(pages * pageSize >= MIB);
      assert.ok(free >= MIB / pageSize - 1, `${free} free`);
    } finally {
      await storage.close();
    }
  });
});
