/**
 * Reading users' state from a 1M-user file, per call of k users: the store's `loadUsers` (point
 * lookups for one user, a JSON array's table for more) against the JSON-array query alone.
 * `node --import tsx bench/micro/load-users.ts [file]`: the file (default under $TMPDIR) is seeded
 * on first use with 1M profiles and ~480,000 instances, and kept for the next run.
 */
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { A, batch, changes, instance, profile } from "../../src/store/conformance/fixtures.js";
import { openSqlite } from "../../src/store/sqlite/open.js";
import { type InstanceRow, instanceFromRow } from "../../src/store/sqlite/user-table.js";
import { Prng } from "../lib/prng.js";

const USERS = 1_000_000;
const path = process.argv[2] ?? join(tmpdir(), "journeys-micro", "load-users.db");
mkdirSync(dirname(path), { recursive: true });
const fresh = !existsSync(path);
const { store, connection } = openSqlite({ path });
await store.migrate();
if (fresh) {
  const per = 5_000;
  for (let b = 0; b < USERS / per; b++) {
    const profiles = [];
    const instances = [];
    for (let i = b * per; i < (b + 1) * per; i++) {
      profiles.push(profile(`user-${i}`, { plan: "pro", n: i }));
      if (i % 3 === 0) instances.push(instance(`user-${i}`, "j1"));
      if (i % 7 === 0) instances.push(instance(`user-${i}`, "j2"));
    }
    await store.commit(batch(b + 1, [changes(A, { profiles, instances })]));
  }
}

const db = connection.db;
const profilesIn = db.prepare(
  "SELECT user_id, body FROM profiles WHERE project = ? AND user_id IN (SELECT value FROM json_each(?))",
);
const instancesIn = db.prepare(
  "SELECT user_id, journey_id, key, node, status, body FROM instances " +
    "WHERE project = ? AND user_id IN (SELECT value FROM json_each(?)) ORDER BY user_id, journey_id, key",
);
const random = new Prng(7);
const someUsers = (k: number) => Array.from({ length: k }, () => `user-${random.int(USERS)}`);

async function perCall(work: () => Promise<void>, calls: number): Promise<number> {
  const started = performance.now();
  await work();
  return ((performance.now() - started) * 1000) / calls;
}

console.log(`${path}: µs per call of k random users (4 rounds, 40,000 users each)`);
console.log("k  loadUsers  json_each query");
for (const k of [1, 2, 4, 8]) {
  for (let round = 0; round < 4; round++) {
    const calls = 40_000 / k;
    const viaStore = async () => {
      for (let c = 0; c < calls; c++) await store.loadUsers(A, someUsers(k));
    };
    const viaQuery = async () => {
      for (let c = 0; c < calls; c++) {
        const ids = JSON.stringify(someUsers(k));
        for (const row of profilesIn.all(A, ids) as { body: string }[]) JSON.parse(row.body);
        for (const row of instancesIn.all(A, ids) as InstanceRow[]) instanceFromRow(row);
      }
    };
    // Each goes first in turn: the page cache warms as a round goes.
    let storeUs: number;
    let queryUs: number;
    if (round % 2 === 0) {
      storeUs = await perCall(viaStore, calls);
      queryUs = await perCall(viaQuery, calls);
    } else {
      queryUs = await perCall(viaQuery, calls);
      storeUs = await perCall(viaStore, calls);
    }
    console.log(`${k}  ${storeUs.toFixed(1).padStart(9)}  ${queryUs.toFixed(1).padStart(15)}`);
  }
}
await store.close();
