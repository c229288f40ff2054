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

describe("user cache admission", () => {
  it("admits a user read from the store only when seen lately", () => {
    const cache = new UserCache(10, 2);
    assert.equal(cache.admit("a"), false, "first sighting");
    assert.equal(cache.admit("a"), true, "seen just before");
    assert.equal(cache.admit("b"), false);
    assert.equal(cache.admit("c"), false, "starts a new generation; a and b are the older one");
    assert.equal(cache.admit("b"), true, "still remembered in the older generation");
    assert.equal(cache.admit("d"), false);
    assert.equal(cache.admit("e"), false, "a and b are now forgotten");
    assert.equal(cache.admit("a"), false);
    assert.equal(cache.admit("e"), true);
  });

  it("admits every user on first sight when it remembers none", () => {
    const cache = new UserCache(10, 0);
    assert.equal(cache.admit("a"), true);
    assert.equal(cache.admit("b"), true);
  });

  it("remembers half its capacity by default", () => {
    const cache = new UserCache(4);
    for (const key of ["a", "b", "c", "d"]) assert.equal(cache.admit(key), false);
    assert.equal(cache.admit("a"), true, "within the last two to four sightings");
    for (const key of ["e", "f", "g", "h"]) cache.admit(key);
    assert.equal(cache.admit("b"), false, "forgotten");
  });
});
