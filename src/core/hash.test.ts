import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { hash53, partitionOf, percentBucket, stableId } from "./hash.js";

/**
 * Ids, idempotency keys, buckets and partitions are written to stores and compared across
 * processes and releases: a change of output would send a message twice or move a user.
 */
describe("hash", () => {
  it("keeps the values earlier releases wrote", () => {
    assert.equal(hash53("abc", 1), 4486759430526946);
    assert.equal(stableId("j", "u", 3), "1fec4836fec23e161ae6bcec3160");
    assert.equal(stableId(""), "1c4425d7d009e10791d3587ca4bf");
    assert.equal(partitionOf("project", "user-1", 16), hash53("project\u001fuser-1", 3) % 16);
    assert.equal(percentBucket("journey", "user", 1), (hash53("journey\u001fuser\u001f1", 7) % 10_000) / 100);
  });

  it("spells a stable id as the two seeded hashes in base 16, 14 digits each", () => {
    const part = fc.oneof(fc.string({ unit: "binary" }), fc.integer(), fc.double({ noNaN: true }));
    fc.assert(
      fc.property(fc.array(part, { maxLength: 6 }), (parts) => {
        const text = parts.join("\u001f");
        const expected =
          hash53(text, 1).toString(16).padStart(14, "0") + hash53(text, 2).toString(16).padStart(14, "0");
        assert.equal(stableId(...parts), expected);
      }),
      { numRuns: 2000 },
    );
  });
});
