import { type Issue, joinPath } from "./issue.js";
import type { Json } from "./model.js";

/** A compiled filter: a closure over a document, built once per definition. */
export type Predicate = (doc: unknown) => boolean;

const OPERATORS = new Set([
  "$eq",
  "$ne",
  "$gt",
  "$gte",
  "$lt",
  "$lte",
  "$in",
  "$nin",
  "$exists",
  "$regex",
  "$options",
  "$contains",
  "$not",
]);

const always: Predicate = () => true;
const never: Predicate = () => false;

/** Reads a dotted path; array elements are searched like MongoDB does (`items.sku` over an array). */
export function getPath(doc: unknown, path: string): unknown {
  const segments = path.split(".");
  return walk(doc, segments, 0);
}

function walk(value: unknown, segments: readonly string[], index: number): unknown {
  if (index === segments.length) return value;
  if (value === null || typeof value !== "object") return undefined;
  const segment = segments[index] as string;
  if (Array.isArray(value) && !/^\d+$/.test(segment)) {
    const found: unknown[] = [];
    for (const element of value) {
      const inner = walk(element, segments, index);
      if (inner !== undefined) {
        if (Array.isArray(inner)) found.push(...inner);
        else found.push(inner);
      }
    }
    return found.length > 0 ? found : undefined;
  }
  return walk((value as Record<string, unknown>)[segment], segments, index + 1);
}

/**
 * Compiles a MongoDB-style filter (`$eq $ne $gt $gte $lt $lte $in $nin $exists $regex $contains`,
 * plus `$and`, `$or`, `$nor` and `$not`) into a predicate. Problems are appended to `issues`
 * with their JSON path; a filter with problems compiles to a predicate that never holds.
 */
export function compileFilter(filter: unknown, path: string, issues: Issue[]): Predicate {
  const before = issues.length;
  const predicate = compileDocument(filter, path, issues);
  return issues.length > before ? never : predicate;
}

function compileDocument(filter: unknown, path: string, issues: Issue[]): Predicate {
  if (filter === null || typeof filter !== "object" || Array.isArray(filter)) {
    issues.push({ path, message: "a filter must be an object of { path: value | { $operator: value } }" });
    return never;
  }
  const parts: Predicate[] = [];
  for (const [key, value] of Object.entries(filter)) {
    const at = joinPath(path, key);
    if (key === "$and" || key === "$or" || key === "$nor") {
      if (!Array.isArray(value) || value.length === 0) {
        issues.push({ path: at, message: `${key} needs a non-empty array of filters` });
        continue;
      }
      const children = value.map((child, i) => compileDocument(child, joinPath(at, i), issues));
      if (key === "$and") parts.push((doc) => children.every((child) => child(doc)));
      else if (key === "$or") parts.push((doc) => children.some((child) => child(doc)));
      else parts.push((doc) => !children.some((child) => child(doc)));
    } else if (key === "$not") {
      const child = compileDocument(value, at, issues);
      parts.push((doc) => !child(doc));
    } else if (key.startsWith("$")) {
      issues.push({ path: at, message: `unknown top-level operator ${key} (use $and, $or, $nor, $not)` });
    } else if (key === "") {
      issues.push({ path: at, message: "empty field path" });
    } else {
      const test = compileField(value, at, issues);
      parts.push((doc) => test(getPath(doc, key)));
    }
  }
  if (parts.length === 0) return always;
  if (parts.length === 1) return parts[0] as Predicate;
  return (doc) => {
    for (const part of parts) if (!part(doc)) return false;
    return true;
  };
}

type ValueTest = (value: unknown) => boolean;

function isOperatorObject(value: unknown): value is Record<string, Json> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((key) => key.startsWith("$"));
}

function compileField(condition: unknown, path: string, issues: Issue[]): ValueTest {
  if (!isOperatorObject(condition)) {
    if (condition !== null && typeof condition === "object" && !Array.isArray(condition)) {
      const keys = Object.keys(condition);
      if (keys.some((key) => key.startsWith("$"))) {
        issues.push({ path, message: "do not mix $operators and plain fields in one object" });
        return never;
      }
    }
    return anyElement((value) => equals(value, condition));
  }
  const tests: ValueTest[] = [];
  for (const [op, operand] of Object.entries(condition)) {
    const at = joinPath(path, op);
    if (!OPERATORS.has(op)) {
      issues.push({ path: at, message: `unknown operator ${op}` });
      continue;
    }
    const test = compileOperator(op, operand, condition, at, issues);
    if (test) tests.push(test);
  }
  if (tests.length === 1) return tests[0] as ValueTest;
  return (value) => tests.every((test) => test(value));
}

function compileOperator(
  op: string,
  operand: Json,
  siblings: Record<string, Json>,
  at: string,
  issues: Issue[],
): ValueTest | undefined {
  switch (op) {
    case "$eq":
      return anyElement((value) => equals(value, operand));
    case "$ne":
      return (value) => !anyElement((inner) => equals(inner, operand))(value);
    case "$gt":
    case "$gte":
    case "$lt":
    case "$lte": {
      if (typeof operand !== "number" && typeof operand !== "string") {
        issues.push({ path: at, message: `${op} needs a number or a string` });
        return undefined;
      }
      const compare = ORDER[op] as (a: number | string, b: number | string) => boolean;
      return anyElement(
        (value) => typeof value === typeof operand && compare(value as number | string, operand),
      );
    }
    case "$in":
    case "$nin": {
      if (!Array.isArray(operand)) {
        issues.push({ path: at, message: `${op} needs an array` });
        return undefined;
      }
      const contained = anyElement((value) => operand.some((candidate) => equals(value, candidate)));
      return op === "$in" ? contained : (value) => !contained(value);
    }
    case "$exists": {
      if (typeof operand !== "boolean") {
        issues.push({ path: at, message: "$exists needs true or false" });
        return undefined;
      }
      return (value) => (value !== undefined && value !== null) === operand;
    }
    case "$regex": {
      const flags = siblings.$options ?? "";
      if (typeof operand !== "string" || typeof flags !== "string" || !/^[imsu]*$/.test(flags)) {
        issues.push({ path: at, message: "$regex needs a pattern string ($options may hold i, m, s, u)" });
        return undefined;
      }
      let pattern: RegExp;
      try {
        pattern = new RegExp(operand, flags);
      } catch (error) {
        issues.push({ path: at, message: `invalid regular expression: ${(error as Error).message}` });
        return undefined;
      }
      return anyElement((value) => typeof value === "string" && pattern.test(value));
    }
    case "$options":
      if (!("$regex" in siblings)) issues.push({ path: at, message: "$options only goes with $regex" });
      return undefined;
    case "$contains":
      return (value) => {
        if (typeof value === "string") return typeof operand === "string" && value.includes(operand);
        if (Array.isArray(value)) return value.some((element) => equals(element, operand));
        return false;
      };
    case "$not": {
      const inner = compileField(operand, at, issues);
      return (value) => !inner(value);
    }
    default:
      issues.push({ path: at, message: `unknown operator ${op}` });
      return undefined;
  }
}

const ORDER: { readonly [op: string]: (a: number | string, b: number | string) => boolean } = {
  $gt: (a, b) => a > b,
  $gte: (a, b) => a >= b,
  $lt: (a, b) => a < b,
  $lte: (a, b) => a <= b,
};

/** A field that holds an array matches when the array itself or any element does. */
function anyElement(test: ValueTest): ValueTest {
  return (value) => {
    if (test(value)) return true;
    if (Array.isArray(value)) for (const element of value) if (test(element)) return true;
    return false;
  };
}

/** Deep equality over JSON values. */
export function equals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((element, i) => equals(element, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((key) => equals((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}
