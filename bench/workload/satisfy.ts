import type { Filter, Json, JsonObject } from "../../src/core/model.js";
import type { Prng } from "../lib/prng.js";

/**
 * Properties for an event that satisfy a journey's `where` filter on `properties.*` paths, as
 * far as simple operators go ($eq $ne $gt $gte $lt $lte $in $nin $exists $contains, $and, $or).
 * Paths outside `properties` and operators such as $regex are left alone: such an event may
 * simply not match, as real traffic often does not.
 */
export function satisfyFilter(filter: Filter, prng: Prng, into: JsonObject): void {
  for (const [path, condition] of Object.entries(filter)) {
    if (path === "$and" && Array.isArray(condition)) {
      for (const part of condition) if (isObject(part)) satisfyFilter(part, prng, into);
      continue;
    }
    if (path === "$or" && Array.isArray(condition)) {
      const first = condition[prng.int(condition.length)];
      if (isObject(first)) satisfyFilter(first, prng, into);
      continue;
    }
    if (!path.startsWith("properties.")) continue;
    const value = valueFor(condition, prng);
    if (value !== undefined) setPath(into, path.slice("properties.".length), value);
  }
}

/** Sets a dotted path, creating objects on the way. */
export function setPath(target: JsonObject, dotted: string, value: Json): void {
  const parts = dotted.split(".");
  let node = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    const next = node[part];
    if (isObject(next)) node = next;
    else {
      const created: JsonObject = {};
      node[part] = created;
      node = created;
    }
  }
  node[parts[parts.length - 1] as string] = value;
}

function valueFor(condition: Json, prng: Prng): Json | undefined {
  if (!isObject(condition)) return condition;
  const ops = Object.keys(condition);
  if (ops.length === 0 || !ops.every((op) => op.startsWith("$"))) return condition;
  let low: number | undefined;
  let high: number | undefined;
  for (const op of ops) {
    const arg = condition[op] as Json;
    switch (op) {
      case "$eq":
        return arg;
      case "$in":
        return Array.isArray(arg) && arg.length > 0 ? (arg[prng.int(arg.length)] as Json) : undefined;
      case "$gt":
      case "$gte":
        if (typeof arg === "number") low = arg;
        break;
      case "$lt":
      case "$lte":
        if (typeof arg === "number") high = arg;
        break;
      case "$contains":
        return [arg];
      case "$exists":
        return arg === false ? undefined : "yes";
      case "$ne":
      case "$nin":
        if (ops.length === 1) return typeof arg === "number" ? arg + 1 : "other";
        break;
      default:
        break;
    }
  }
  if (low === undefined && high === undefined) return undefined;
  const from = low ?? (high as number) - 100;
  const to = high ?? from + 200;
  // Strictly inside (from, to) so $gt and $lt hold as well as $gte and $lte.
  return Math.round((from + (to - from) * (0.05 + 0.9 * prng.float())) * 100) / 100;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
