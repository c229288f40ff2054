import { getPath } from "../core/filter.js";
import type { Condition, Json } from "../core/model.js";

const SYMBOLS: { readonly [op: string]: string } = {
  $eq: "=",
  $ne: "!=",
  $gt: ">",
  $gte: ">=",
  $lt: "<",
  $lte: "<=",
};

/** `properties.total` reads as `total`; other paths stay as written. */
export function shortPath(path: string): string {
  return path.startsWith("properties.") ? path.slice("properties.".length) : path;
}

/**
 * Says why a document matched a MongoDB-style filter, with its actual values: `total 80 > 50`,
 * `plan = pro`, `country in [FR, DE]`. Parts it cannot phrase are left out; empty when none can be.
 */
export function describeMatch(filter: { [path: string]: Json }, doc: unknown): string {
  const parts: string[] = [];
  for (const [path, spec] of Object.entries(filter)) {
    if (path === "$and" || path === "$or" || path === "$nor") {
      if (!Array.isArray(spec)) continue;
      const inner = spec
        .filter((part): part is { [path: string]: Json } => isObject(part))
        .map((part) => describeMatch(part, doc))
        .filter((text) => text !== "");
      if (inner.length > 0 && path !== "$nor") parts.push(inner.join(path === "$and" ? ", " : " or "));
      continue;
    }
    if (path.startsWith("$")) continue;
    const name = shortPath(path);
    const value = getPath(doc, path);
    if (!isObject(spec) || !Object.keys(spec).some((key) => key.startsWith("$"))) {
      parts.push(`${name} = ${show(value ?? spec)}`);
      continue;
    }
    for (const [op, operand] of Object.entries(spec)) parts.push(...operatorText(name, value, op, operand));
  }
  return parts.join(", ");
}

function operatorText(name: string, value: unknown, op: string, operand: Json): string[] {
  const symbol = SYMBOLS[op];
  if (symbol !== undefined) return [`${name} ${show(value)} ${symbol} ${show(operand)}`];
  switch (op) {
    case "$in":
      return [`${name} ${show(value)} in ${show(operand)}`];
    case "$nin":
      return [`${name} ${show(value)} not in ${show(operand)}`];
    case "$exists":
      return [operand === false ? `no ${name}` : `${name} present`];
    case "$regex":
      return [`${name} ${show(value)} matches /${String(operand)}/`];
    case "$contains":
      return [`${name} contains ${show(operand)}`];
    default:
      return [];
  }
}

/** How a condition that waits for an input reads in "no … in 2h": `open`, `order_completed`. */
export function awaitedInputs(condition: Condition | undefined): string[] {
  if (condition === undefined) return [];
  if ("message" in condition) {
    const noun = { delivered: "delivery", opened: "open", clicked: "click", failed: "failure" } as const;
    return [noun[condition.message]];
  }
  if ("event" in condition) return [condition.event];
  if ("any" in condition) return condition.any.flatMap(awaitedInputs);
  if ("all" in condition) return condition.all.flatMap(awaitedInputs);
  return [];
}

function show(value: unknown): string {
  if (value === undefined) return "(none)";
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

function isObject(value: unknown): value is { [key: string]: Json } {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
