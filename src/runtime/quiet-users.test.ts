import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { QuietUsers } from "./quiet-users.js";

describe("QuietUsers", () => {
  const catalog = {};
  const now = Date.UTC(2026, 11, 3, 12, 0, 0);

  it("vouches for a user until the whole second before their moment", () => {
    const table = new QuietUsers(1024);
    table.set("p\u001fada", catalog, now + 90_500, now);
    assert.equal(table.quiet("p\u001fada", catalog, now), true);
    assert.equal(table.quiet("p\u001fada", catalog, now + 89_999), true);
    assert.equal(table.quiet("p\u001fada", catalog, now + 90_000), false, "rounded down to the second");
    assert.equal(table.quiet("p\u001fbob", catalog, now), false, "never set");
  });

  it("keeps a moment with no end, and forgets a moment already past", () => {
    const table = new QuietUsers(1024);
    table.set("ada", catalog, Number.POSITIVE_INFINITY, now);
    assert.equal(table.quiet("ada", catalog, now + 10 * 365 * 86_400_000), true);
    table.set("ada", catalog, now + 400, now);
    assert.equal(table.quiet("ada", catalog, now), false, "less than a second ahead: nothing to vouch for");
  });

  it("counts an entry only under the catalog it was computed with", () => {
    const table = new QuietUsers(1024);
    table.set("ada", catalog, Number.POSITIVE_INFINITY, now);
    assert.equal(table.quiet("ada", {}, now), false);
    assert.equal(table.quiet("ada", catalog, now), true);
  });

  it("forgets a user on delete and everyone on clear", () => {
    const table = new QuietUsers(1024);
    for (const user of ["ada", "bob"]) table.set(user, catalog, Number.POSITIVE_INFINITY, now);
    table.delete("ada");
    assert.equal(table.quiet("ada", catalog, now), false);
    assert.equal(table.quiet("bob", catalog, now), true);
    table.clear();
    assert.equal(table.quiet("bob", catalog, now), false);
  });

  it("when full, forgets entries of an older catalog first, then those that run out first, and never vouches for a user it was not told about", () => {
    const table = new QuietUsers(4);
    assert.equal(table.capacity, 4);
    const old = {};
    table.set("stale", old, Number.POSITIVE_INFINITY, now);
    for (let i = 0; i < 3; i++) table.set(`u${i}`, catalog, now + (i + 2) * 60_000, now);
    table.set("late", catalog, now + 3_600_000, now);
    assert.equal(table.quiet("stale", old, now), false, "the older catalog's entry went first");
    table.set("later", catalog, now + 7_200_000, now);
    assert.equal(table.quiet("u0", catalog, now), false, "then the one that ran out first");
    for (const user of ["u1", "u2", "late", "later"])
      assert.equal(table.quiet(user, catalog, now), true, user);
    for (let i = 0; i < 1000; i++) table.set(`v${i}`, catalog, now + 60_000 + i * 1000, now);
    let vouched = 0;
    for (let i = 0; i < 1000; i++) if (table.quiet(`v${i}`, catalog, now)) vouched++;
    assert.ok(vouched <= 4);
    for (let i = 0; i < 1000; i++) assert.equal(table.quiet(`w${i}`, catalog, now), false);
  });

  it("rounds its size up to whole sets of four", () => {
    assert.equal(new QuietUsers(1).capacity, 4);
    assert.equal(new QuietUsers(1_000_000).capacity, 1_048_576);
  });
});
