import { parseDuration } from "./duration.js";
import { joinPath } from "./issue.js";
import type { Condition } from "./model.js";

/**
 * What a condition waits for, read from its structure alone. Validation uses these to find loops
 * a user could spin around without waiting and nodes a user could never leave.
 */

/**
 * Whether a condition cannot hold the moment a user arrives on a node: some part of it must wait
 * for time to pass (`after`, `at.localTime`) or for an input (`event`, `message`). `all` is gated
 * when any part is, `any` only when every branch is, and `not` never is (the negation of a wait
 * holds right away).
 *
 * `after` of zero and `at.attribute` are not gates: the first holds at once, and the second names
 * a fixed moment that, once past, holds on every arrival.
 */
export function isGated(condition: Condition | undefined): boolean {
  if (condition === undefined) return false;
  if ("event" in condition || "message" in condition) return true;
  if ("after" in condition) return (parseDuration(condition.after) ?? 0) > 0;
  if ("at" in condition) return "localTime" in condition.at;
  if ("all" in condition) return condition.all.some(isGated);
  if ("any" in condition) return condition.any.length > 0 && condition.any.every(isGated);
  return false;
}

/**
 * Whether a condition can only hold when an input arrives (an `event` or a `message` status):
 * time alone never makes it true.
 */
export function needsInput(condition: Condition | undefined): boolean {
  if (condition === undefined) return false;
  if ("event" in condition || "message" in condition) return true;
  if ("all" in condition) return condition.all.some(needsInput);
  if ("any" in condition) return condition.any.length > 0 && condition.any.every(needsInput);
  return false;
}

/** Every sub-condition, depth first, with its JSON path (`path` is the condition's own). */
export function* walkCondition(
  condition: Condition,
  path: string,
): Generator<{ condition: Condition; path: string }> {
  yield { condition, path };
  if ("all" in condition) {
    for (const [i, child] of condition.all.entries())
      yield* walkCondition(child, joinPath(joinPath(path, "all"), i));
  }
  if ("any" in condition) {
    for (const [i, child] of condition.any.entries())
      yield* walkCondition(child, joinPath(joinPath(path, "any"), i));
  }
  if ("not" in condition) yield* walkCondition(condition.not, joinPath(path, "not"));
}
