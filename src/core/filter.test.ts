import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileFilter, equals, getPath, type Predicate } from "./filter.js";
import type { Issue } from "./issue.js";

/** Compiles a filter that must be valid. */
function filter(definition: unknown): Predicate {
  const issues: Issue[] = [];
  const predicate = compileFilter(definition, "where", issues);
  assert.deepEqual(issues, []);
  return predicate;
}

/** The issues of a filter that must be invalid. */
function problems(definition: unknown): Issue[] {
  const issues: Issue[] = [];
  const predicate = compileFilter(definition, "where", issues);
  assert.equal(predicate({}), false, "an invalid filter never holds");
  return issues;
}

const cart = {
  name: "cart_updated",
  properties: {
    total: 80,
    currency: "EUR",
    coupon: null,
    tags: ["sale", "gift"],
    items: [
      { sku: "A1", qty: 2 },
      { sku: "B2", qty: 1 },
    ],
    "odd.key": 1,
  },
};

describe("getPath", () => {
  it("reads dotted paths", () => {
    assert.equal(getPath(cart, "properties.total"), 80);
    assert.equal(getPath(cart, "properties.missing.deeper"), undefined);
  });

  it("indexes arrays by number and searches them by field, like MongoDB", () => {
    assert.deepEqual(getPath(cart, "properties.items.sku"), ["A1", "B2"]);
    assert.equal(getPath(cart, "properties.items.1.sku"), "B2");
    assert.equal(getPath(cart, "properties.tags.0"), "sale");
  });
});

describe("compileFilter", () => {
  it("an empty filter always holds", () => {
    assert.equal(filter({})(cart), true);
  });

  it("a plain value means equality, deep for objects and arrays", () => {
    assert.equal(filter({ "properties.currency": "EUR" })(cart), true);
    assert.equal(filter({ "properties.currency": "USD" })(cart), false);
    assert.equal(filter({ "properties.items.0": { sku: "A1", qty: 2 } })(cart), true);
    assert.equal(filter({ "properties.tags": ["sale", "gift"] })(cart), true);
  });

  it("a plain value matches any element of an array field", () => {
    assert.equal(filter({ "properties.tags": "gift" })(cart), true);
    assert.equal(filter({ "properties.items.sku": "B2" })(cart), true);
  });

  it("several fields must all hold", () => {
    assert.equal(filter({ "properties.currency": "EUR", "properties.total": { $gt: 50 } })(cart), true);
    assert.equal(filter({ "properties.currency": "EUR", "properties.total": { $gt: 100 } })(cart), false);
  });

  describe("operators", () => {
    const cases: [string, unknown, boolean][] = [
      ["$eq", { "properties.total": { $eq: 80 } }, true],
      ["$eq on an array element", { "properties.tags": { $eq: "sale" } }, true],
      ["$ne", { "properties.currency": { $ne: "USD" } }, true],
      ["$ne against an array element", { "properties.tags": { $ne: "sale" } }, false],
      ["$ne on a missing field", { "properties.nope": { $ne: 1 } }, true],
      ["$gt", { "properties.total": { $gt: 79 } }, true],
      ["$gt at the bound", { "properties.total": { $gt: 80 } }, false],
      ["$gte", { "properties.total": { $gte: 80 } }, true],
      ["$lt", { "properties.total": { $lt: 80 } }, false],
      ["$lte", { "properties.total": { $lte: 80 } }, true],
      ["$gt on strings", { "properties.currency": { $gt: "AAA" } }, true],
      ["$gt never compares a number with a string", { "properties.total": { $gt: "1" } }, false],
      ["$gt over array elements", { "properties.items.qty": { $gt: 1 } }, true],
      ["$in", { "properties.currency": { $in: ["USD", "EUR"] } }, true],
      ["$in with an array field", { "properties.tags": { $in: ["gift", "x"] } }, true],
      ["$nin", { "properties.currency": { $nin: ["USD", "GBP"] } }, true],
      ["$nin with an array field", { "properties.tags": { $nin: ["gift"] } }, false],
      ["$exists true", { "properties.total": { $exists: true } }, true],
      ["$exists false on a missing field", { "properties.nope": { $exists: false } }, true],
      ["$exists treats null as absent", { "properties.coupon": { $exists: false } }, true],
      ["$regex", { "properties.currency": { $regex: "^E" } }, true],
      ["$regex with $options", { "properties.currency": { $regex: "^eur$", $options: "i" } }, true],
      ["$regex only matches strings", { "properties.total": { $regex: "80" } }, false],
      ["$contains on a string", { "properties.currency": { $contains: "UR" } }, true],
      ["$contains on an array", { "properties.tags": { $contains: "gift" } }, true],
      ["$contains on a number", { "properties.total": { $contains: 8 } }, false],
      ["field $not", { "properties.total": { $not: { $gt: 100 } } }, true],
      ["two operators on one field", { "properties.total": { $gt: 50, $lt: 100 } }, true],
      ["$and", { $and: [{ "properties.total": { $gt: 50 } }, { "properties.currency": "EUR" }] }, true],
      ["$or", { $or: [{ "properties.total": { $gt: 500 } }, { "properties.currency": "EUR" }] }, true],
      ["$nor", { $nor: [{ "properties.total": { $gt: 500 } }, { "properties.currency": "USD" }] }, true],
      ["top-level $not", { $not: { "properties.currency": "EUR" } }, false],
    ];
    for (const [name, definition, expected] of cases) {
      it(`${name}: ${JSON.stringify(definition)} is ${expected}`, () => {
        assert.equal(filter(definition)(cart), expected);
      });
    }
  });

  it("reads keys that contain dots only through the path syntax, so they never match", () => {
    assert.equal(filter({ "properties.odd.key": 1 })(cart), false);
  });

  it("tests documents that are not objects as having no fields", () => {
    const predicate = filter({ total: { $exists: false } });
    assert.equal(predicate(null), true);
    assert.equal(predicate("text"), true);
  });

  describe("invalid filters report every problem with its path", () => {
    it("a filter that is not an object", () => {
      assert.deepEqual(problems([1]), [
        { path: "where", message: "a filter must be an object of { path: value | { $operator: value } }" },
      ]);
    });

    it("an unknown operator, at the operator's path with dotted keys quoted", () => {
      assert.deepEqual(problems({ "properties.total": { $gtt: 5 } }), [
        { path: 'where["properties.total"].$gtt', message: "unknown operator $gtt" },
      ]);
    });

    it("an unknown top-level operator", () => {
      assert.deepEqual(problems({ $xor: [] }), [
        { path: "where.$xor", message: "unknown top-level operator $xor (use $and, $or, $nor, $not)" },
      ]);
    });

    it("operands of the wrong type", () => {
      assert.deepEqual(
        problems({
          a: { $gt: true },
          b: { $in: "x" },
          c: { $exists: 1 },
          d: { $regex: 5 },
          e: { $nin: {} },
        }).map((issue) => issue.path),
        ["where.a.$gt", "where.b.$in", "where.c.$exists", "where.d.$regex", "where.e.$nin"],
      );
    });

    it("an invalid regular expression or option", () => {
      assert.match(problems({ a: { $regex: "(" } })[0]?.message ?? "", /^invalid regular expression/);
      assert.deepEqual(
        problems({ a: { $regex: "x", $options: "g" } }).map((issue) => issue.path),
        ["where.a.$regex"],
      );
      assert.deepEqual(
        problems({ a: { $options: "i" } }).map((issue) => issue.path),
        ["where.a.$options"],
      );
    });

    it("operators mixed with plain fields, and empty paths", () => {
      assert.deepEqual(problems({ a: { $gt: 1, b: 2 } }), [
        { path: "where.a", message: "do not mix $operators and plain fields in one object" },
      ]);
      assert.deepEqual(problems({ "": 1 }), [{ path: 'where[""]', message: "empty field path" }]);
    });

    it("$and, $or and $nor need a non-empty array, and their members are checked at their index", () => {
      assert.deepEqual(problems({ $and: [] }), [
        { path: "where.$and", message: "$and needs a non-empty array of filters" },
      ]);
      assert.deepEqual(
        problems({ $or: [{ a: 1 }, { b: { $bad: 1 } }] }).map((issue) => issue.path),
        ["where.$or[1].b.$bad"],
      );
    });

    it("several problems at once", () => {
      assert.equal(problems({ a: { $bad: 1 }, b: { $in: 1 }, $nope: 1 }).length, 3);
    });
  });
});

describe("equals", () => {
  it("compares JSON values deeply", () => {
    assert.equal(equals({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), true);
    assert.equal(equals({ a: 1 }, { a: 1, b: 2 }), false);
    assert.equal(equals([1], { 0: 1 }), false);
    assert.equal(equals(null, {}), false);
  });
});
