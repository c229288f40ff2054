import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import BetterSqlite3 from "better-sqlite3";
import type { JsonObject } from "../src/core/model.js";
import { Engine } from "../src/runtime/engine.js";
import { openSqlite } from "../src/store/sqlite/open.js";
import { sleep } from "./lib/clock.js";
import { WAIT_LONG } from "./scenarios/timers.js";
import {
  appendedTotal,
  consumedTotal,
  driveWorkload,
  scheduleWaits,
  seedUsers,
} from "./server/in-process-load.js";
import { Workload } from "./workload.js";

/**
 * Which b-trees an input writes: runs the engine on a fresh SQLite file with checkpoints off,
 * then maps every page the measured inputs wrote to the WAL to the table or index that owns it
 * (SQLite's `dbstat`). Each page written is 4 KiB of WAL that a checkpoint copies back, and a
 * page written at a random place in a large b-tree is usually a page read first.
 *
 * `node --import tsx bench/wal-pages.ts [--mix events|waits] [--users 200000] [--inputs 50000] [--rate 5000]`
 *
 * `events`: the throughput scenario's journeys and event mix; `waits`: entries into a journey
 * that waits 30 days (the timers scenario's scheduling). Half as many inputs as there are users
 * run first, unmeasured, so the b-trees are not empty. `--rate`: the measured events are sent
 * open loop at that rate (what came due every millisecond in one ingest call) instead of as fast
 * as the engine takes them, so commits are as small as a steady rate makes them. Transactions
 * are also printed by what they wrote: user state (executor commits), the log only (appends),
 * or neither (commits of offsets alone, trims, delivery updates).
 */

const { values } = parseArgs({
  options: {
    mix: { type: "string", default: "events" },
    users: { type: "string", default: "200000" },
    inputs: { type: "string", default: "50000" },
    rate: { type: "string", default: "0" },
    seed: { type: "string", default: "20240601" },
  },
});
const mix = values.mix === "waits" ? "waits" : "events";
const users = Number(values.users);
const rate = Number(values.rate);
const inputs = Number(values.inputs);
if (!(users > 0 && inputs > 0)) throw new Error("--users and --inputs must be positive numbers");

const dir = mkdtempSync(join(tmpdir(), "journeys-wal-pages-"));
const path = join(dir, "wal-pages.db");
try {
  await measure();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function measure(): Promise<void> {
  const storage = openSqlite({ path, backgroundCheckpoint: false });
  // The WAL only grows: every frame written by the measured inputs stays in it to be read.
  storage.connection.db.pragma("wal_autocheckpoint = 0");
  const { store, log } = storage;
  const engine = new Engine({ store, log, partitions: 64, delivery: false });
  await engine.start();
  const project = "bench";
  const workload = new Workload({ users, seed: Number(values.seed) });
  const drain = async (): Promise<void> => {
    while (consumedTotal(engine) < (await appendedTotal(engine))) await sleep(5);
  };
  for (const template of workload.base.templates)
    await store.putDocument(project, "template", template.id, template as unknown as JsonObject);
  for (const segment of workload.base.segments)
    await store.putDocument(project, "segment", segment.id, segment as unknown as JsonObject);
  const journeys = mix === "waits" ? [WAIT_LONG] : workload.journeys.map((j) => j.definition);
  for (const journey of journeys) {
    await engine.journeys.create(project, journey);
    await engine.journeys.publish(project, journey.id);
  }
  await seedUsers(engine, project, workload, 0, users, 5000);
  await drain();
  const run = async (first: number, count: number): Promise<void> => {
    if (mix === "waits") {
      const options = { event: "bench_wait_long", users, first, count };
      await scheduleWaits(engine, project, (i) => workload.userId(i), {
        ...options,
        batch: 5000,
        concurrency: 4,
        maxLag: 200_000,
        rate: 0,
      });
    } else if (rate > 0 && first > 0) {
      await paced(first, count);
    } else {
      const options = { events: count, durationMs: 3_600_000, batch: 1000, concurrency: 4, maxLag: 100_000 };
      await driveWorkload(
        engine,
        project,
        workload,
        { ...options, stream: first },
        { stopped: false, ingested: 0 },
      );
    }
    await drain();
  };
  // Open loop at `rate` events/s: every millisecond, what came due goes in one ingest call.
  const paced = async (first: number, count: number): Promise<void> => {
    const stream = workload.events(first);
    const start = performance.now();
    let sent = 0;
    const pending: Promise<unknown>[] = [];
    while (sent < count) {
      const due = Math.min(count, Math.floor(((performance.now() - start) * rate) / 1000));
      if (due > sent) {
        pending.push(engine.ingest(project, stream.batch(due - sent)));
        sent = due;
      }
      await sleep(1);
    }
    await Promise.all(pending);
  };
  await run(0, Math.floor(users / 2));
  const [truncated] = storage.connection.db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number }[];
  if (truncated?.busy) throw new Error("the WAL could not be emptied before the measured inputs");
  const started = performance.now();
  await run(Math.floor(users / 2), inputs);
  const elapsedMs = performance.now() - started;
  await engine.stop();
  // Read the WAL before closing: closing checkpoints it and removes it.
  const wal = readFileSync(`${path}-wal`);
  const report = pagesByObject(wal);
  await storage.close();
  print(report, elapsedMs);
}

interface Report {
  pageSize: number;
  commits: number;
  frames: number;
  byObject: Map<string, number>;
  /** Transactions by what they wrote, with their pages by b-tree. */
  kinds: Map<string, { commits: number; pages: number; byObject: Map<string, number> }>;
}

/** Frames of the WAL by the b-tree owning their page now ("(free)" for pages freed since). */
function pagesByObject(wal: Buffer): Report {
  // WAL header: 32 bytes, the page size at offset 8 (1 stands for 65,536); each frame: a 24-byte
  // header (page number, then the database size after a commit frame, 0 otherwise), then the
  // page. Frames after the last commit frame belong to no transaction and are left out.
  const pageSize = wal.readUInt32BE(8) === 1 ? 65_536 : wal.readUInt32BE(8);
  const pages: number[] = [];
  const ends: number[] = [];
  let committed = 0;
  let commits = 0;
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    pages.push(wal.readUInt32BE(at));
    if (wal.readUInt32BE(at + 4) !== 0) {
      commits++;
      committed = pages.length;
      ends.push(committed);
    }
  }
  pages.length = committed;
  const db = new BetterSqlite3(path, { readonly: true });
  const owner = new Map<number, string>();
  try {
    const rows = db.prepare("SELECT name, pageno FROM dbstat").iterate() as Iterable<{
      name: string;
      pageno: number;
    }>;
    for (const row of rows) owner.set(row.pageno, row.name);
  } finally {
    db.close();
  }
  const byObject = new Map<string, number>();
  for (const page of pages) {
    const name = owner.get(page) ?? "(free)";
    byObject.set(name, (byObject.get(name) ?? 0) + 1);
  }
  const kinds = new Map<string, { commits: number; pages: number; byObject: Map<string, number> }>();
  let start = 0;
  for (const end of ends) {
    const names = pages.slice(start, end).map((page) => owner.get(page) ?? "(free)");
    const kind =
      names.includes("instances") || names.includes("profiles")
        ? "user state"
        : names.includes("log")
          ? "log only"
          : "neither";
    const entry = kinds.get(kind) ?? { commits: 0, pages: 0, byObject: new Map() };
    entry.commits++;
    entry.pages += names.length;
    for (const name of names) entry.byObject.set(name, (entry.byObject.get(name) ?? 0) + 1);
    kinds.set(kind, entry);
    start = end;
  }
  return { pageSize, commits, frames: pages.length, byObject, kinds };
}

function print({ pageSize, commits, frames, byObject, kinds }: Report, elapsedMs: number): void {
  const perInput = (n: number): string => (n / inputs).toFixed(3);
  console.log(
    `${mix}: ${inputs.toLocaleString("en-US")} inputs over ${users.toLocaleString("en-US")} users in ` +
      `${(elapsedMs / 1000).toFixed(1)} s, ${commits} commits; ${frames.toLocaleString("en-US")} pages written ` +
      `(${perInput(frames)} an input, ${((frames * pageSize) / inputs / 1024).toFixed(1)} KiB)`,
  );
  console.log(
    `${"b-tree".padEnd(28)} ${"pages".padStart(8)} ${"an input".padStart(9)} ${"a commit".padStart(9)}`,
  );
  for (const [name, count] of [...byObject].sort((a, b) => b[1] - a[1])) {
    console.log(
      `${name.padEnd(28)} ${String(count).padStart(8)} ${perInput(count).padStart(9)} ${(count / commits).toFixed(1).padStart(9)}`,
    );
  }
  for (const [kind, entry] of kinds) {
    const top = [...entry.byObject]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([name, count]) => `${name} ${(count / entry.commits).toFixed(2)}`);
    console.log(
      `transactions writing ${kind}: ${entry.commits}, ${(entry.pages / entry.commits).toFixed(1)} pages each (${top.join(", ")})`,
    );
  }
}
