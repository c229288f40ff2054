import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { tempDir } from "../../test/support/server.js";
import type { JournalLine } from "../core/state.js";
import { openSqlite, type SqliteStorage } from "../store/sqlite/open.js";
import { emptyChanges, type ProjectChanges } from "../store/types.js";
import { JournalRetention, parseRetention } from "./journal-retention.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 2, 1);

function line(userId: string, at: number): JournalLine {
  return { at, userId, journeyId: "j", kind: "moved", reason: "edge 0 from a: always" };
}

function changes(project: string, journal: JournalLine[]): ProjectChanges {
  return { ...emptyChanges(project), journal };
}

describe("journal retention", () => {
  const temp = tempDir();
  let storage: SqliteStorage;

  before(async () => {
    storage = openSqlite({ path: join(temp.dir, "journal.db") });
    await storage.store.migrate();
    // 12,000 old lines (more than one prune chunk) over two projects, then recent ones.
    const old: JournalLine[] = [];
    for (let i = 0; i < 12_000; i++) old.push(line(`u${i % 50}`, NOW - 40 * DAY + i));
    await storage.store.commit({
      partition: 0,
      consumedOffset: 0,
      changes: [changes("a", old.slice(0, 7000)), changes("b", old.slice(7000))],
    });
    await storage.store.commit({
      partition: 0,
      consumedOffset: 0,
      changes: [changes("a", [line("u1", NOW - 2 * DAY), line("u1", NOW - DAY)])],
    });
  });

  after(async () => {
    await storage.close();
    temp.cleanup();
  });

  it("reads durations and `forever`", () => {
    assert.equal(parseRetention("30d"), 30 * DAY);
    assert.equal(parseRetention("12w"), 84 * DAY);
    assert.equal(parseRetention("forever"), undefined);
    assert.equal(parseRetention("0"), undefined);
    assert.throws(() => parseRetention("a while"), { code: "INVALID_RETENTION" });
    assert.throws(() => parseRetention("-3d"), { code: "INVALID_RETENTION" });
  });

  it("prunes lines older than the retention in every project and keeps the recent ones", async () => {
    const pruned: number[] = [];
    const retention = new JournalRetention({
      store: storage.store,
      clock: { now: () => NOW },
      retentionMs: 30 * DAY,
      onPruned: (lines) => pruned.push(lines),
    });
    assert.equal(await retention.prune(), 12_000);
    assert.deepEqual(pruned, [12_000]);
    assert.deepEqual(
      (await storage.store.journal("a", "u1", 100)).map((l) => l.at),
      [NOW - 2 * DAY, NOW - DAY],
    );
    assert.deepEqual(await storage.store.journal("b", "u1", 100), []);
    assert.equal(await retention.prune(), 0, "nothing left to prune");
    await retention.stop();
  });
});
