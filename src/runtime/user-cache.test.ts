import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Instance } from "../core/state.js";
import type { UserState } from "../store/types.js";
import { UserCache } from "./user-cache.js";

const state = (instances: number): UserState => ({
  profile: undefined,
  instances: Array.from({ length: instances }, (_, i) => ({ key: String(i) }) as unknown as Instance),
});

describe("user cache", () => {
  it("weighs a user as one plus their instances and keeps the total in step", () => {
    const cache = new UserCache(100);
    cache.set("a", state(0));
    cache.set("b", state(3));
    assert.equal(cache.weight, 5);
    cache.set("b", state(1));
    assert.equal(cache.weight, 3);
    cache.delete("a");
    cache.delete("missing");
    assert.equal(cache.weight, 2);
    assert.equal(cache.size, 1);
  });

  it("evicts the least recently used until within capacity, counting instances", () => {
    const cache = new UserCache(10);
    cache.set("old", state(4)); // 5
    cache.set("mid", state(2)); // 3
    cache.set("new", state(3)); // 4 -> 12 in all
    assert.ok(cache.touch("old"));
    assert.equal(cache.touch("absent"), false);
    cache.evict();
    assert.equal(cache.get("mid"), undefined, "mid was used least recently");
    assert.ok(cache.get("old"));
    assert.ok(cache.get("new"));
    assert.equal(cache.weight, 9);
  });

  it("a replaced entry keeps its place in the recency order", () => {
    const cache = new UserCache(2);
    cache.set("a", state(0));
    cache.set("b", state(0));
    cache.set("a", state(0));
    cache.set("c", state(0));
    cache.evict();
    assert.equal(cache.get("a"), undefined);
    assert.deepEqual([cache.get("b") !== undefined, cache.get("c") !== undefined], [true, true]);
  });
});
