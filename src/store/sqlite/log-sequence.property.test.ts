import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import type { EventInput } from "../../core/input.js";
import type { LogEntry } from "../types.js";
import { openSqlite, type SqliteStorage } from "./open.js";

/**
 * The SQLite log against a model (per partition: its entries, its end, its trim point) over
 * random appends, trims, rolled-back appends, appends by a second connection and reopenings:
 * whatever happened, every read returns exactly the model's untrimmed entries, in order.
 */

const root = mkdtempSync(join(tmpdir(), "journeys-log-property-"));
after(() => rmSync(root, { recursive: true, force: true }));

const PARTITIONS = 4;

type Op =
  | { kind: "append"; partitions: number[]; other: boolean }
  | { kind: "rollback"; partitions: number[] }
  | { kind: "trim"; partition: number; fraction: number }
  | { kind: "reopen" };

const partitions = fc.array(fc.integer({ min: 0, max: PARTITIONS - 1 }), { minLength: 1, maxLength: 6 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant("append" as const), partitions, other: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("rollback" as const), partitions }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("trim" as const),
      partition: fc.integer({ min: 0, max: PARTITIONS - 1 }),
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "reopen" as const }) },
);

interface ModelPartition {
  /** Ids by offset - 1. */
  ids: string[];
  trimmed: number;
}

let counter = 0;
function entry(partition: number): LogEntry {
  const id = `e${counter++}`;
  const input: EventInput = { kind: "event", id, userId: "u", name: "x", properties: {}, timestamp: 1 };
  return { project: "acme", partition, input, appendedAt: 1 };
}

describe("sqlite log property", () => {
  it("reads always return exactly the appended, untrimmed entries of a partition, in order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 30 }),
        fc.constantFrom(0, 3, 1024),
        async (ops, tailSize) => {
          const path = join(root, `${randomUUID()}.db`);
          const model: ModelPartition[] = Array.from({ length: PARTITIONS }, () => ({ ids: [], trimmed: 0 }));
          let main: SqliteStorage = openSqlite({ path, tailSize });
          const other = openSqlite({ path, tailSize: 0 });
          try {
            for (const step of ops) {
              if (step.kind === "append") {
                const entries = step.partitions.map(entry);
                await (step.other ? other : main).log.append(entries);
                for (const e of entries) model[e.partition]?.ids.push((e.input as EventInput).id);
              } else if (step.kind === "rollback") {
                const writer = main.connection.log;
                const failing = writer.transaction(() => {
                  writer.append(step.partitions.map(entry));
                  throw new Error("rolled back");
                });
                assert.throws(failing, /rolled back/);
              } else if (step.kind === "trim") {
                const partition = model[step.partition] as ModelPartition;
                const upTo = Math.floor(step.fraction * partition.ids.length);
                await main.log.trim(step.partition, upTo);
                partition.trimmed = Math.max(partition.trimmed, upTo);
              } else {
                await main.close();
                main = openSqlite({ path, tailSize });
              }
              for (let p = 0; p < PARTITIONS; p++) {
                const expected = model[p] as ModelPartition;
                // A reader reads from its position on; reading from before the trim point starts at it.
                const from = expected.trimmed;
                const records = await main.log.read(p, 0, 1_000);
                const wanted = expected.ids.slice(from);
                // Memory may answer a prefix; the table holds the rest: read on until caught up.
                const all = [...records];
                while (all.length < wanted.length) {
                  const last = all.length > 0 ? (all[all.length - 1]?.offset as number) : from;
                  const more = await main.log.read(p, last, 1_000);
                  if (more.length === 0) break;
                  all.push(...more);
                }
                assert.deepEqual(
                  all.map((r) => [r.offset, (r.input as EventInput).id]),
                  wanted.map((id, i) => [from + i + 1, id]),
                  `partition ${p}`,
                );
                assert.equal(await main.log.end(p), expected.ids.length);
              }
            }
          } finally {
            await other.close();
            await main.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
