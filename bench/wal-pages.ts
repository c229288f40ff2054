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
 * `node --import tsx bench/wal-pages.ts [--mix events|waits] [--users 200000] [--inputs 50000]`
 *
 * `events`: the throughput scenario's journeys and event mix; `waits`: entries into a journey
 * that waits 30 days (the timers scenario's scheduling). Half as many inputs as there are users
 * run first, unmeasured, so the b-trees are not empty.
 */

const { values } = parseArgs({
  options: {
    mix: { type: "string", default: "events" },
    users: { type: "string", default: "200000" },
    inputs: { type: "string", default: "50000" },
    seed: { type: "string", default: "20240601" },
  },
});
const mix = values.mix === "waits" ? "waits" : "events";
const users = Number(values.users);
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
}

/** Frames of the WAL by the b-tree owning their page now ("(free)" for pages freed since). */
function pagesByObject(wal: Buffer): Report {
  // WAL header: 32 bytes, the page size at offset 8 (1 stands for 65,536); each frame: a 24-byte
  // header (page number, then the database size after a commit frame, 0 otherwise), then the
  // page. Frames after the last commit frame belong to no transaction and are left out.
  const pageSize = wal.readUInt32BE(8) === 1 ? 65_536 : wal.readUInt32BE(8);
  const pages: number[] = [];
  let committed = 0;
  let commits = 0;
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    pages.push(wal.readUInt32BE(at));
    if (wal.readUInt32BE(at + 4) !== 0) {
      commits++;
      committed = pages.length;
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
  return { pageSize, commits, frames: pages.length, byObject };
}

function print({ pageSize, commits, frames, byObject }: Report, elapsedMs: number): void {
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
}
