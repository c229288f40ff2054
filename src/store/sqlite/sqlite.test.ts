import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import type { EventInput, Input } from "../../core/input.js";
import type { JsonObject } from "../../core/model.js";
import type { Instance, InstanceStatus, JournalLine } from "../../core/state.js";
import { A, batch, changes, instance, json } from "../conformance/fixtures.js";
import { storeConformance } from "../conformance.js";
import type { LogEntry } from "../types.js";
import { BackgroundCheckpointer } from "./checkpointer.js";
import { SqliteConnection } from "./connection.js";
import { openDriver } from "./driver.js";
import { openSqlite, type SqliteStorageOptions } from "./open.js";
import { parseSqlSections, readMigrations, readSqlFile } from "./sql-files.js";

const root = mkdtempSync(join(tmpdir(), "journeys-sqlite-"));
const nextPath = (): string => join(root, `${randomUUID()}.db`);
after(() => rmSync(root, { recursive: true, force: true }));

storeConformance("sqlite", async () => {
  const storage = openSqlite({ path: nextPath() });
  return { store: storage.store, log: storage.log, cleanup: () => storage.close() };
});

storeConformance("sqlite with background checkpoints", async () => {
  const storage = openSqlite({ path: nextPath(), backgroundCheckpoint: true });
  return { store: storage.store, log: storage.log, cleanup: () => storage.close() };
});

function entry(id: string, partition = 0, appendedAt = 1_000): LogEntry {
  const input: EventInput = { kind: "event", id, userId: "u1", name: "viewed", properties: {}, timestamp: 1 };
  return { project: "acme", partition, input, appendedAt };
}

/** A new file at an earlier schema version: its first `version` migrations run, as a release did. */
function openAtVersion(path: string, version: number): ReturnType<typeof openDriver> {
  const db = openDriver(path);
  for (const migration of readMigrations().slice(0, version)) db.exec(migration.sql);
  db.pragma(`user_version = ${version}`);
  return db;
}

async function withStorage(
  options: Partial<SqliteStorageOptions>,
  body: (storage: ReturnType<typeof openSqlite>) => Promise<void>,
): Promise<void> {
  const storage = openSqlite({ path: nextPath(), ...options });
  try {
    await body(storage);
  } finally {
    await storage.close();
  }
}

describe("sqlite schema", () => {
  it("a new file is migrated to the newest version, and reopening migrates nothing", async () => {
    const path = nextPath();
    const first = openSqlite({ path });
    const latest = readMigrations().length;
    assert.ok(latest >= 1);
    assert.equal(first.connection.db.pragma("user_version", { simple: true }), latest);
    await first.store.putDocument("acme", "journey", "j1", { name: "kept" });
    await first.store.migrate();
    await first.close();

    const second = openSqlite({ path });
    assert.equal(second.connection.db.pragma("user_version", { simple: true }), latest);
    assert.deepEqual(await second.store.getDocument("acme", "journey", "j1"), { name: "kept" });
    await second.close();
  });

  it("a file from a newer version is refused rather than misread", async () => {
    const path = nextPath();
    const storage = openSqlite({ path });
    storage.connection.db.pragma("user_version = 999");
    await storage.close();
    assert.throws(() => openSqlite({ path }), { code: "SCHEMA_TOO_NEW" });
  });

  it("uses WAL with synchronous NORMAL by default and FULL on request", async () => {
    await withStorage({}, async ({ connection }) => {
      assert.equal(connection.db.pragma("journal_mode", { simple: true }), "wal");
      assert.equal(connection.db.pragma("synchronous", { simple: true }), 1);
    });
    await withStorage({ synchronous: "full" }, async ({ connection }) => {
      assert.equal(connection.db.pragma("synchronous", { simple: true }), 2);
    });
  });

  it("statement files name their parameters", () => {
    assert.throws(() => parseSqlSections("x.sql", "-- name: a\nSELECT 1;"), { code: "SQL_FILE" });
    assert.deepEqual(
      [...parseSqlSections("x.sql", "-- header\n-- name: a\n-- params: none\nSELECT 1;\n")],
      [["a", "SELECT 1"]],
    );
  });

  it("hot statements search an index instead of scanning a table", async () => {
    await withStorage({}, async ({ connection }) => {
      const hot: [string, string[]][] = [
        ["users.sql", ["loadProfiles", "loadInstances", "instancesOfJourney"]],
        ["timers.sql", ["dueTimers", "timersBetween", "deleteTimer"]],
        ["deliveries.sql", ["claimQueued", "listByUser", "listByJourney", "listByStatus", "findByKey"]],
        ["log.sql", ["entriesAt", "positionsAfter", "deleteBefore", "setStart"]],
        ["journal.sql", ["newestLines"]],
        ["stats.sql", ["counters", "deliveryOutcomes"]],
      ];
      for (const [file, names] of hot) {
        const sections = parseSqlSections(file, readSqlFile(file));
        for (const name of names) {
          const sql = sections.get(name) as string;
          const params = new Array<null>((sql.match(/\?/g) ?? []).length).fill(null);
          const plan = connection.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as {
            detail: string;
          }[];
          const scans = plan.filter((step) => /^SCAN (?!json_each)/.test(step.detail));
          assert.deepEqual(scans, [], `${file} ${name}`);
        }
      }
    });
  });
});

describe("sqlite instances", () => {
  const optional = <T>(value: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
    fc.option(value, { nil: undefined });
  const hex = (minLength: number, maxLength: number): fc.Arbitrary<string> =>
    fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength, maxLength });
  const anInstance: fc.Arbitrary<Instance> = fc.record({
    journeyId: fc.constantFrom("j1", "j2"),
    userId: fc.constantFrom("u1", "u2", "u3"),
    key: fc.constantFrom("", "k1"),
    entryId: hex(1, 28),
    version: fc.integer({ min: 1, max: 9 }),
    node: fc.constantFrom("wait", "email"),
    status: fc.constantFrom<InstanceStatus>("active", "held", "exited"),
    enteredAt: fc.nat(),
    nodeAt: fc.nat(),
    step: fc.nat(100),
    engagement: fc.nat(15),
    entries: fc.integer({ min: 1, max: 5 }),
    timerId: optional(hex(28, 28)),
    timerDue: optional(fc.nat()),
    converted: optional(fc.nat()),
    exitedAt: optional(fc.nat()),
    exitReason: optional(fc.string()),
    entryProperties: optional(fc.dictionary(fc.string(), fc.jsonValue()) as fc.Arbitrary<JsonObject>),
  });
  /** What reading back should give: the instance without its absent optional fields. */
  const stored = (instance: Instance): Instance =>
    Object.fromEntries(Object.entries(instance).filter(([, value]) => value !== undefined)) as Instance;

  it("reads back every field of the instances it wrote", async () => {
    await withStorage({}, async ({ store }) => {
      let offset = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(anInstance, { selector: (i) => `${i.userId}/${i.journeyId}/${i.key}` }),
          async (instances) => {
            offset++;
            await store.commit(batch(offset, [changes(A, { instances })]));
            const loaded = await store.loadUsers(A, ["u1", "u2", "u3"]);
            for (const instance of instances) {
              const back = loaded
                .get(instance.userId)
                ?.instances.find((i) => i.journeyId === instance.journeyId && i.key === instance.key);
              assert.deepEqual(back, json(stored(instance)));
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  });

  it("reads rows whose body names its fields, as releases before positional bodies wrote them", async () => {
    await withStorage({}, async ({ connection, store }) => {
      const before = {
        entryId: "e1",
        version: 2,
        enteredAt: 5,
        nodeAt: 7,
        step: 1,
        engagement: 3,
        entries: 1,
        timerId: "t1",
        timerDue: 99,
        entryProperties: { cart: "c1" },
      };
      connection.db
        .prepare(
          "INSERT INTO instances (project, user_id, journey_id, key, node, status, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .run(A, "u1", "j1", "", "wait", "active", JSON.stringify(before));
      const back = (await store.loadUsers(A, ["u1"])).get("u1")?.instances[0];
      assert.deepEqual(back, {
        ...before,
        journeyId: "j1",
        userId: "u1",
        key: "",
        node: "wait",
        status: "active",
      });
    });
  });
});

describe("sqlite timers", () => {
  const timer = (id: string, due: number, userId = "u1") => ({ id, due, userId, journeyId: "j1", key: "" });

  it("a file from schema version 2 keeps its timers, read in due order and cancelled by due", async () => {
    const path = nextPath();
    const db = openAtVersion(path, 2);
    const insert = db.prepare(
      `INSERT INTO timers (project, user_id, id, due, "partition", journey_id, key) VALUES (?, ?, ?, ?, ?, 'j1', '')`,
    );
    insert.run(A, "u2", "t-late", 300, 5);
    insert.run(A, "u1", "t-early", 100, 3);
    insert.run("other", "u1", "t-early", 100, 3);
    db.close();
    const storage = openSqlite({ path });
    try {
      assert.equal(storage.connection.db.pragma("user_version", { simple: true }), readMigrations().length);
      const due = await storage.store.dueTimers(1_000, 10);
      assert.deepEqual(
        due.map((t) => [t.project, t.userId, t.id, t.due, t.partition]),
        [
          [A, "u1", "t-early", 100, 3],
          ["other", "u1", "t-early", 100, 3],
          [A, "u2", "t-late", 300, 5],
        ],
      );
      await storage.store.commit(
        batch(0, [changes(A, { timersCancelled: [{ userId: "u2", timerId: "t-late", due: 300 }] })]),
      );
      assert.equal(await storage.store.countTimers(), 2);
      const indices = storage.connection.db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'timers'")
        .all();
      assert.deepEqual(indices, [], "the due order is the table's own: no second b-tree to write");
    } finally {
      await storage.close();
    }
  });

  it("waits of one length fill the table's end: a commit of 200 new timers writes a few pages", async () => {
    await withStorage({}, async ({ store, connection }) => {
      const db = connection.db;
      // 20,000 pending timers over as many users, due over the next hour.
      for (let round = 0; round < 20; round++) {
        const timersSet = Array.from({ length: 1_000 }, (_, i) =>
          timer(
            `t${round}-${i}`,
            10_000 + ((i * 7919 + round) % 3_600_000),
            `user-${(i * 104_729) % 20_000}`,
          ),
        );
        await store.commit(batch(0, [changes(A, { timersSet })]));
      }
      db.pragma("wal_checkpoint(TRUNCATE)");
      // 200 waits of the same length entered now, by users spread over the key space.
      const timersSet = Array.from({ length: 200 }, (_, i) =>
        timer(`new-${i}`, 4_000_000 + i, `user-${i * 97}`),
      );
      await store.commit(batch(0, [changes(A, { timersSet })]));
      const [wal] = db.pragma("wal_checkpoint(PASSIVE)") as { log: number }[];
      // Keyed by user, each timer would land on its own leaf (~100 pages).
      assert.ok((wal?.log ?? 999) <= 12, `a commit of 200 timers wrote ${wal?.log} pages`);
    });
  });
});

describe("sqlite waiting counts", () => {
  it("a file from schema version 3 gets the counts of its instances, and no index by journey", async () => {
    const path = nextPath();
    const db = openAtVersion(path, 3);
    const insert = db.prepare(
      "INSERT INTO instances (project, user_id, journey_id, key, node, status, body) VALUES (?, ?, ?, '', ?, ?, '[]')",
    );
    insert.run(A, "u1", "j1", "wait", "active");
    insert.run(A, "u2", "j1", "wait", "held");
    insert.run(A, "u3", "j1", "wait", "exited");
    insert.run(A, "u4", "j1", "push", "active");
    insert.run("other", "u1", "j1", "wait", "active");
    db.prepare(
      "INSERT INTO node_counters (project, journey_id, node, entered, exited, converted) VALUES (?, 'j1', 'wait', 7, 1, 0)",
    ).run(A);
    db.close();
    const storage = openSqlite({ path });
    try {
      const stats = await storage.store.nodeStats(A, "j1");
      assert.deepEqual(
        stats.map((s) => [s.node, s.entered, s.waiting, s.exited]),
        [
          ["push", 0, 1, 0],
          ["wait", 7, 2, 1],
        ],
      );
      assert.deepEqual(
        (await storage.store.nodeStats("other", "j1")).map((s) => [s.node, s.waiting]),
        [["wait", 1]],
      );
      const indices = storage.connection.db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'instances'")
        .all();
      assert.deepEqual(indices, [], "instances are one b-tree: a new instance writes one leaf");
    } finally {
      await storage.close();
    }
  });

  it("a file with the early schema 4's triggers loses them and gets its counts again", async () => {
    const path = nextPath();
    const db = openAtVersion(path, 4);
    // What commit 5d9d57f's schema 4 added (one of its three triggers is enough to show it).
    db.exec(`CREATE TRIGGER instances_waiting_insert AFTER INSERT ON instances
      WHEN new.status IN ('active', 'held')
      BEGIN
        INSERT INTO node_counters (project, journey_id, node, entered, exited, converted, waiting)
        VALUES (new.project, new.journey_id, new.node, 0, 0, 0, 1)
        ON CONFLICT (project, journey_id, node) DO UPDATE SET waiting = waiting + 1;
      END`);
    const insert = db.prepare(
      "INSERT INTO instances (project, user_id, journey_id, key, node, status, body) VALUES (?, ?, 'j1', '', ?, ?, '[]')",
    );
    insert.run(A, "u1", "wait", "active");
    insert.run(A, "u2", "wait", "held");
    insert.run(A, "u3", "push", "exited");
    // A count gone wrong, as a commit adding its own change on top of a trigger's would leave it.
    db.prepare("UPDATE node_counters SET waiting = 5 WHERE node = 'wait'").run();
    db.close();
    const storage = openSqlite({ path });
    try {
      assert.deepEqual(await storage.store.waitingCounts(A, "j1"), [{ node: "wait", waiting: 2 }]);
      const triggers = storage.connection.db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        .all();
      assert.deepEqual(triggers, []);
    } finally {
      await storage.close();
    }
    // A file that never had them keeps its counts through the same migration.
    const plain = nextPath();
    const fresh = openAtVersion(plain, 4);
    fresh
      .prepare(
        "INSERT INTO node_counters (project, journey_id, node, entered, exited, converted, waiting) VALUES (?, 'j1', 'wait', 3, 0, 0, 3)",
      )
      .run(A);
    fresh.close();
    const kept = openSqlite({ path: plain });
    try {
      assert.deepEqual(await kept.store.waitingCounts(A, "j1"), [{ node: "wait", waiting: 3 }]);
    } finally {
      await kept.close();
    }
  });

  it("erasing a user takes the user's waiting instances out of the counts", async () => {
    await withStorage({}, async ({ store }) => {
      const waiting = (node: string, count: number) => ({
        journeyId: "j1",
        node,
        entered: count,
        exited: 0,
        converted: 0,
        waiting: count,
      });
      const instances = [
        instance("u1", "j1", "a", { node: "wait" }),
        instance("u1", "j1", "b", { node: "push", status: "held" }),
        instance("u1", "j1", "c", { node: "wait", status: "exited" }),
        instance("u2", "j1", "", { node: "wait" }),
      ];
      await store.commit(
        batch(1, [changes(A, { instances, counters: [waiting("wait", 2), waiting("push", 1)] })]),
      );
      await store.eraseUser(A, "u1");
      const stats = await store.nodeStats(A, "j1");
      assert.deepEqual(
        stats.map((s) => [s.node, s.entered, s.waiting]),
        [
          ["push", 1, 0],
          ["wait", 2, 1],
        ],
      );
    });
  });
});

describe("sqlite journal", () => {
  // Every field of a line, so one the table dropped would show.
  const line = (at: number, reason: string): JournalLine => ({
    at,
    userId: "u1",
    journeyId: "j1",
    version: 2,
    entryId: "e1",
    node: "wait",
    kind: "moved",
    reason,
    cause: "timer t1",
    data: { until: at + 1, nested: { list: [1, "two"] } },
  });

  it("writes a user's lines of one moment as one row, and reads rows of one line written before", async () => {
    await withStorage({}, async ({ connection, store }) => {
      // A row as releases before grouped rows wrote it: the whole line as an object.
      connection.db
        .prepare("INSERT INTO journal (project, user_id, at, body) VALUES (?, ?, ?, ?)")
        .run(A, "u1", 1, JSON.stringify(line(1, "old")));
      await store.commit(
        batch(0, [changes(A, { journal: [line(2, "entered"), line(2, "waiting"), line(3, "fired")] })]),
      );
      const rows = connection.db.prepare("SELECT at, body FROM journal ORDER BY id").all() as {
        at: number;
        body: string;
      }[];
      assert.equal(rows.length, 3);
      // Lines by position: journey, version, entry, node, kind, reason, cause, data.
      assert.deepEqual(JSON.parse((rows[1] as { body: string }).body), [
        ["j1", 2, "e1", "wait", "moved", "entered", "timer t1", { until: 3, nested: { list: [1, "two"] } }],
        ["j1", 2, "e1", "wait", "moved", "waiting", "timer t1", { until: 3, nested: { list: [1, "two"] } }],
      ]);
      assert.equal(
        (rows[1] as { body: string }).body.includes('"userId"'),
        false,
        "the columns hold user and moment",
      );
      assert.deepEqual(
        await store.journal(A, "u1", 10),
        json([line(1, "old"), line(2, "entered"), line(2, "waiting"), line(3, "fired")]),
      );
      assert.deepEqual(
        await store.journal(A, "u1", 3),
        json([line(2, "entered"), line(2, "waiting"), line(3, "fired")]),
      );
      // Pruning counts lines, not rows.
      assert.equal(await store.pruneJournal(3), 3);
      assert.deepEqual(await store.journal(A, "u1", 10), json([line(3, "fired")]));
    });
  });

  it("reads rows whose lines name their fields, as releases before positional lines wrote them", async () => {
    await withStorage({}, async ({ connection, store }) => {
      const { at: _at, userId: _user, ...named } = line(4, "named");
      const {
        at: _at2,
        userId: _user2,
        journeyId: _j,
        version: _v,
        cause: _c,
        data: _d,
        ...bare
      } = line(4, "bare");
      connection.db
        .prepare("INSERT INTO journal (project, user_id, at, body) VALUES (?, ?, ?, ?)")
        .run(A, "u1", 4, JSON.stringify([named, bare]));
      assert.deepEqual(await store.journal(A, "u1", 10), [
        line(4, "named"),
        { at: 4, userId: "u1", entryId: "e1", node: "wait", kind: "moved", reason: "bare" },
      ]);
    });
  });

  it("reads back every field of the lines it wrote, absent ones absent", async () => {
    const optional = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: undefined });
    const arbitraryLine = fc.record({
      journeyId: optional(fc.string()),
      version: optional(fc.integer({ min: 1, max: 1_000 })),
      entryId: optional(fc.string()),
      node: optional(fc.string()),
      kind: fc.constantFrom<JournalLine["kind"]>("entered", "moved", "waiting", "exited", "sent"),
      reason: fc.string(),
      cause: optional(fc.string()),
      data: optional(fc.dictionary(fc.string(), fc.jsonValue()) as fc.Arbitrary<JournalLine["data"]>),
    });
    await withStorage({}, async ({ store }) => {
      let user = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(arbitraryLine, { minLength: 1, maxLength: 4 }), async (parts) => {
          const userId = `p${user++}`;
          const lines = parts.map((part) => {
            const written: JournalLine = { at: 10, userId, kind: part.kind, reason: part.reason };
            for (const key of ["journeyId", "version", "entryId", "node", "cause", "data"] as const) {
              if (part[key] !== undefined) (written as unknown as Record<string, unknown>)[key] = part[key];
            }
            return written;
          });
          await store.commit(batch(0, [changes(A, { journal: lines })]));
          assert.deepEqual(await store.journal(A, userId, 10), json(lines));
        }),
        { numRuns: 100 },
      );
    });
  });
});

describe("sqlite log", () => {
  it("reads of just-appended entries come from memory, in order with what the store appended itself", async () => {
    const path = nextPath();
    await withStorage({ path }, async ({ log, store }) => {
      await log.append([entry("a1"), entry("a2"), entry("x1", 1)]);
      // The store appends an emitted event to partition 0 inside a commit: offset 3, unseen by the log.
      const emitted = { id: "em1", userId: "u1", name: "bonus", properties: {}, timestamp: 5 };
      await store.commit(batch(0, [changes(A, { emitted: [emitted] })]));
      await log.append([entry("a3"), entry("a4")]);
      const ids = (records: { input: Input }[]): (string | undefined)[] =>
        records.map((r) => ("id" in r.input ? r.input.id : undefined));
      assert.deepEqual(ids(await log.read(0, 0, 10)), ["a1", "a2", "em1", "a3", "a4"]);
      assert.deepEqual(ids(await log.read(0, 2, 10)), ["em1", "a3", "a4"]);
      assert.deepEqual(ids(await log.read(0, 3, 1)), ["a3"]);
      assert.deepEqual(ids(await log.read(0, 4, 10)), ["a4"]);
      assert.deepEqual(ids(await log.read(0, 5, 10)), []);
      // What memory answered is what the table holds.
      const fresh = openSqlite({ path, tailSize: 0 });
      try {
        for (const after of [0, 2, 3, 4]) {
          const fromTable = await fresh.log.read(0, after, 10);
          assert.deepEqual(json(await log.read(0, after, 10)), json(fromTable));
        }
      } finally {
        await fresh.close();
      }
      await log.append([entry("a5")]);
      assert.deepEqual(ids(await log.read(0, 5, 10)), ["a5"]);
      assert.deepEqual(ids(await log.read(1, 0, 10)), ["x1"]);
    });
  });

  it("a reader far behind the memory tail reads the table", async () => {
    await withStorage({ tailSize: 4 }, async ({ log }) => {
      for (let i = 1; i <= 10; i++) await log.append([entry(`e${i}`)]);
      const records = await log.read(0, 0, 100);
      assert.deepEqual(
        records.map((r) => r.offset),
        Array.from({ length: 10 }, (_, i) => i + 1),
      );
      assert.deepEqual(
        (await log.read(0, 8, 100)).map((r) => r.offset),
        [9, 10],
      );
    });
  });

  it("appends made in the same tick share one transaction", async () => {
    const groups: [number, number][] = [];
    await withStorage(
      { onGroupCommit: (callers, entries) => groups.push([callers, entries]) },
      async ({ log }) => {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => log.append([entry(`a${i}`), entry(`b${i}`, 1)])),
        );
        assert.deepEqual(groups, [[10, 20]]);
        assert.deepEqual(
          results.map((r) => r.offsets),
          Array.from({ length: 10 }, (_, i) => [i + 1, i + 1]),
        );
        await log.append([entry("c")]);
        await log.append([entry("d")]);
        assert.deepEqual(groups, [
          [10, 20],
          [1, 1],
          [1, 1],
        ]);
      },
    );
  });

  it("a bad append in a group fails alone", async () => {
    await withStorage({}, async ({ log }) => {
      const good = log.append([entry("a")]);
      const bad = log.append([entry("b", -1)]);
      const alsoGood = log.append([entry("c")]);
      await assert.rejects(bad, { code: "INVALID_LOG_ENTRY" });
      assert.deepEqual((await good).offsets, [1]);
      assert.deepEqual((await alsoGood).offsets, [2]);
      assert.deepEqual((await log.append([entry("b")])).offsets, [3]);
    });
  });

  it("without group commit every append is its own transaction", async () => {
    const groups: number[] = [];
    await withStorage(
      { groupCommit: false, onGroupCommit: (callers) => groups.push(callers) },
      async ({ log }) => {
        await Promise.all([log.append([entry("a")]), log.append([entry("b")])]);
        assert.deepEqual(groups, [1, 1]);
      },
    );
  });

  it("closing commits appends still waiting for their group, then refuses new work", async () => {
    const path = nextPath();
    const storage = openSqlite({ path });
    const pending = storage.log.append([entry("a")]);
    await storage.close();
    assert.deepEqual((await pending).offsets, [1]);
    await assert.rejects(storage.log.append([entry("b")]), { code: "CLOSED" });
    await assert.rejects(storage.store.consumedOffset(0), { code: "CLOSED" });
    const reopened = openSqlite({ path });
    assert.equal((await reopened.log.read(0, 0, 10)).length, 1);
    await reopened.close();
  });

  it("pruned event ids can be appended again", async () => {
    await withStorage({}, async ({ log }) => {
      await log.append([entry("old", 0, 1_000), entry("new", 0, 5_000)]);
      assert.equal(await log.pruneEventIds(2_000), 1);
      assert.deepEqual((await log.append([entry("old"), entry("new")])).offsets, [3, null]);
    });
  });

  it("an acknowledged append survives kill -9", async () => {
    const path = nextPath();
    SqliteConnection.open({ path }).close();
    const acked = await appendUntilKilled(path, 20);
    assert.ok(acked.length >= 20 * 50);
    const storage = openSqlite({ path });
    try {
      const ids = new Set<string>();
      for (let partition = 0; partition < 4; partition++) {
        for (const record of await storage.log.read(partition, 0, 1_000_000)) {
          ids.add((record.input as EventInput).id);
        }
      }
      for (const id of acked) assert.ok(ids.has(id), `acknowledged ${id} was lost`);
    } finally {
      await storage.close();
    }
  });
});

/** Runs a child that appends in groups and prints each acknowledged group; kills it with SIGKILL. */
async function appendUntilKilled(path: string, groups: number): Promise<string[]> {
  const openModule = new URL("./open.ts", import.meta.url).href;
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", CRASH_CHILD.replace("OPEN_MODULE", openModule), path],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const acked: string[] = [];
  let seen = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    acked.push(...line.split(","));
    if (++seen === groups) child.kill("SIGKILL");
  }
  await exited;
  assert.equal(child.signalCode, "SIGKILL");
  return acked;
}

const CRASH_CHILD = `
const { openSqlite } = await import("OPEN_MODULE");
const storage = openSqlite({ path: process.argv[1] });
for (let n = 0; ; ) {
  const group = [];
  for (let i = 0; i < 50; i++, n++) {
    const id = "e" + n;
    const input = { kind: "event", id, userId: "u" + (n % 10), name: "x", properties: {}, timestamp: 1 };
    group.push(storage.log.append([{ project: "acme", partition: n % 4, appendedAt: 1, input }]).then(() => id));
  }
  process.stdout.write((await Promise.all(group)).join(",") + "\\n");
}
`;

describe("sqlite background checkpoint", () => {
  const walBytes = (path: string): number => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);

  /**
   * Writes ~50 MB in 200 transactions with SQLite's own checkpoints off; returns the WAL's peak
   * size and how often the background checkpoint started it over. The writer does not wait for
   * locks (busy_timeout 0): if the worker ever held it back, a write would fail with SQLITE_BUSY.
   */
  async function writeMegabytes(
    path: string,
    background: boolean,
  ): Promise<{ largest: number; restarts: number }> {
    const connection = SqliteConnection.open({ path });
    connection.db.pragma("wal_autocheckpoint = 0");
    connection.db.pragma("busy_timeout = 0");
    const checkpointer = background
      ? new BackgroundCheckpointer({
          path,
          writer: connection.db,
          restartPages: 1024,
          onFailure: (error) => assert.fail(error),
        })
      : undefined;
    try {
      connection.db.exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
      const insert = connection.db.prepare("INSERT INTO blobs (body) VALUES (?)");
      const body = "x".repeat(4000);
      const commit = connection.db.transaction(() => {
        for (let i = 0; i < 64; i++) insert.run(body);
      });
      let largest = 0;
      // 200 transactions of 64 rows of 4 KB: about 50 MB of WAL frames in all.
      for (let round = 0; round < 200; round++) {
        commit();
        largest = Math.max(largest, walBytes(path));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const rows = connection.db.prepare("SELECT COUNT(*) AS n FROM blobs").get() as { n: number };
      assert.equal(rows.n, 200 * 64);
      return { largest, restarts: checkpointer?.restarts.count ?? 0 };
    } finally {
      checkpointer?.close();
      connection.close();
    }
  }

  it("a worker copies the WAL back so the writer never checkpoints and the WAL stays small", async () => {
    const inline = await writeMegabytes(nextPath(), false);
    const path = nextPath();
    const background = await writeMegabytes(path, true);
    assert.ok(
      inline.largest > 40e6,
      `without checkpoints the WAL holds every frame (${inline.largest} bytes)`,
    );
    // Restarts at 1,024 pages (4 MiB) keep it at a few of those; half leaves room for a worker
    // slowed by a loaded machine (19 MB of 56 was seen with a benchmark on both cores).
    assert.ok(
      background.largest < inline.largest / 2,
      `WAL peaked at ${background.largest} bytes with the worker, ${inline.largest} without`,
    );
    assert.ok(background.restarts >= 3, `the WAL was started over ${background.restarts} times`);
    const reopened = SqliteConnection.open({ path });
    assert.deepEqual(reopened.db.pragma("integrity_check", { simple: true }), "ok");
    reopened.close();
  });

  it("counting pending timers, finding a user's and a journey's users walk the tables on the worker's connection", async () => {
    const storage = openSqlite({ path: nextPath(), backgroundCheckpoint: true });
    try {
      const set = changes(A, {
        timersSet: Array.from({ length: 25 }, (_, i) => ({
          id: `t${i}`,
          userId: `u${i}`,
          journeyId: "j",
          key: "",
          due: 1_000 + i,
        })),
      });
      await storage.store.commit(batch(0, [set]));
      const direct = (): never[] => assert.fail("read on the engine's connection");
      assert.deepEqual(await storage.connection.readOffThread("countTimers", [], direct), [{ n: 25 }]);
      assert.deepEqual(await storage.connection.readOffThread("timersOfUser", [A, "u3"], direct), [
        { due: 1_003, id: "t3" },
      ]);
      // A journey's users: without an index by journey the walk reads the project's instances.
      await storage.store.commit(
        batch(1, [
          changes(A, { instances: [instance("u1", "j2"), instance("u2", "j1"), instance("u3", "j2")] }),
        ]),
      );
      const rows = await storage.connection.readOffThread<{ user_id: string }>(
        "instancesOfJourney",
        [A, "j2", A, "j2", "", 10],
        direct,
      );
      assert.deepEqual(
        rows.map((row) => row.user_id),
        ["u1", "u3"],
      );
      assert.deepEqual(
        (await storage.store.instancesOfJourney(A, "j2", "u1", 10)).map((i) => i.userId),
        ["u3"],
      );
      assert.equal(await storage.store.countTimers(), 25);
    } finally {
      await storage.close();
    }
    const plain = openSqlite({ path: nextPath() });
    try {
      const here = [{ n: 7 }];
      assert.equal(
        await plain.connection.readOffThread("countTimers", [], () => here),
        here,
        "without a worker: read here",
      );
    } finally {
      await plain.close();
    }
  });

  it("a worker that cannot open the file reports it, so the connection checkpoints itself", async () => {
    const failure = await new Promise<Error>((resolve) => {
      const checkpointer = new BackgroundCheckpointer({
        path: join(root, "missing-directory", "x.db"),
        writer: openDriver(":memory:"),
        onFailure: resolve,
      });
      assert.ok(checkpointer);
    });
    assert.match(failure.message, /background checkpoint/);
  });
});
