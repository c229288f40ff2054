import { parseLocalTime } from "./clock-time.js";
import { parseDuration } from "./duration.js";
import { compileFilter } from "./filter.js";
import { walkCondition } from "./gates.js";
import { type Issue, joinPath } from "./issue.js";
import type { Condition, Json, SegmentDefinition } from "./model.js";

/**
 * Semantic checks of one condition tree (the shape was checked by the schema): durations and
 * local times parse, filters compile, referenced segments exist, and each kind of condition is
 * used where it can mean something.
 */

/** Saved definitions by id, or only their ids when the caller has no bodies at hand. */
export type References<T> = ReadonlyMap<string, T> | ReadonlySet<string>;

/** Where a condition sits decides which kinds make sense there. */
export type ConditionPlace =
  /** An edge of a node without a send action. */
  | "edge"
  /** An edge of a node that sends: `message` conditions apply. */
  | "sending-edge"
  /** The journey's audience, checked once at entry. */
  | "audience"
  /** A saved segment: a statement about the user, evaluated outside any journey. */
  | "segment";

export interface ConditionChecks {
  issues: Issue[];
  segments: References<SegmentDefinition>;
  /** The journey's entry has a correlation key, which `sameKey` compares against. */
  hasKey: boolean;
  place: ConditionPlace;
}

export const CONDITION_KEYS = "event, after, at, user, segment, performed, message, split, all, any, not";

/** Checks a condition tree; problems are appended to `checks.issues` with their JSON path. */
export function checkCondition(condition: Condition, path: string, checks: ConditionChecks): void {
  for (const { condition: part, path: at } of walkCondition(condition, path)) checkPart(part, at, checks);
}

/** The sum of every split percent in the conditions (splits of one node share the 0–100 range). */
export function splitTotal(conditions: readonly (Condition | undefined)[]): number {
  let total = 0;
  for (const condition of conditions) {
    if (condition === undefined) continue;
    for (const { condition: part } of walkCondition(condition, "")) {
      if ("split" in part && typeof part.split.percent === "number") total += part.split.percent;
    }
  }
  return total;
}

function checkPart(condition: Condition, path: string, checks: ConditionChecks): void {
  const { issues, place } = checks;
  const push = (at: string, message: string) => issues.push({ path: at, message });
  if (condition === null || typeof condition !== "object") {
    push(path, `a condition is an object with exactly one of ${CONDITION_KEYS}`);
    return;
  }
  if ("event" in condition) {
    checkEventName(condition.event, joinPath(path, "event"), issues);
    if (condition.where !== undefined) compileFilter(condition.where, joinPath(path, "where"), issues);
    if (condition.sameKey && !checks.hasKey) {
      push(joinPath(path, "sameKey"), 'sameKey compares correlation keys, but the entry has no "key"');
    }
    if (place === "segment") {
      push(path, "a segment describes the user, not the current event: use performed to look at past events");
    }
  } else if ("after" in condition) {
    checkDuration(condition.after, joinPath(path, "after"), issues);
    notTimed(path, "after", checks);
  } else if ("at" in condition) {
    const at = joinPath(path, "at");
    const spec = condition.at;
    if ("localTime" in spec) {
      if (parseLocalTime(spec.localTime) === undefined) {
        push(
          joinPath(at, "localTime"),
          `invalid local time "${spec.localTime}": use HH:MM or HH:MM:SS (24-hour clock)`,
        );
      }
    } else {
      if (typeof spec.attribute !== "string" || spec.attribute === "")
        push(joinPath(at, "attribute"), "name the date attribute");
      if (spec.offset !== undefined)
        checkDuration(spec.offset, joinPath(at, "offset"), issues, { signed: true });
    }
    notTimed(path, "at", checks);
  } else if ("user" in condition) {
    compileFilter(condition.user, joinPath(path, "user"), issues);
  } else if ("segment" in condition) {
    if (!checks.segments.has(condition.segment))
      push(joinPath(path, "segment"), `unknown segment "${condition.segment}"`);
  } else if ("performed" in condition) {
    const at = joinPath(path, "performed");
    const spec = condition.performed;
    checkEventName(spec.event, joinPath(at, "event"), issues);
    if (spec.where !== undefined) compileFilter(spec.where, joinPath(at, "where"), issues);
    if (spec.within !== undefined) checkDuration(spec.within, joinPath(at, "within"), issues);
    if (spec.count !== undefined) checkCount(spec.count, joinPath(at, "count"), issues);
  } else if ("message" in condition) {
    if (place !== "sending-edge") {
      const where =
        place === "edge"
          ? "this node has no send action"
          : place === "audience"
            ? "the audience is checked at entry"
            : "a segment has no message";
      push(joinPath(path, "message"), `message conditions test the message this node sent, but ${where}`);
    }
  } else if ("split" in condition) {
    const percent = condition.split.percent;
    if (typeof percent !== "number" || !(percent > 0 && percent <= 100)) {
      push(joinPath(joinPath(path, "split"), "percent"), "a split percent is greater than 0 and at most 100");
    }
  } else if ("all" in condition || "any" in condition) {
    const [key, list] = "all" in condition ? ["all", condition.all] : ["any", condition.any];
    if (!Array.isArray(list) || list.length === 0)
      push(joinPath(path, key), `${key} needs at least one condition`);
  } else if (!("not" in condition)) {
    push(path, `a condition has exactly one of ${CONDITION_KEYS}`);
  }
}

/** `after` and `at` measure time on a node: the audience and segments have no node. */
function notTimed(path: string, kind: "after" | "at", checks: ConditionChecks): void {
  if (checks.place === "audience" || checks.place === "segment") {
    const what =
      checks.place === "audience" ? "the audience is checked once, at entry" : "segments are not on a node";
    checks.issues.push({
      path: joinPath(path, kind),
      message: `${kind} measures time spent on a node, but ${what}`,
    });
  }
}

/** Appends an issue unless `text` is a duration; durations other than offsets must be positive. */
export function checkDuration(
  text: string,
  path: string,
  issues: Issue[],
  options: { signed?: boolean } = {},
): void {
  const ms = typeof text === "string" ? parseDuration(text) : undefined;
  if (ms === undefined) {
    issues.push({
      path,
      message: `invalid duration "${String(text)}": use a number and a unit (ms, s, m, h, d, w), e.g. 30m, 2h, 1h30m`,
    });
  } else if (!options.signed && ms <= 0) {
    issues.push({ path, message: "a duration here must be greater than zero" });
  }
}

/** Appends an issue when an event name is empty or not a string. */
export function checkEventName(name: unknown, path: string, issues: Issue[]): void {
  if (typeof name !== "string" || name.trim() === "")
    issues.push({ path, message: "an event name must not be empty" });
}

const COUNT_OPERATORS = new Set(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"]);
const COUNT_HINT = 'count is a whole number (at least that many) or a numeric filter like { "$gte": 2 }';

function checkCount(count: Json, path: string, issues: Issue[]): void {
  if (typeof count === "number") {
    if (!Number.isInteger(count) || count < 0) issues.push({ path, message: COUNT_HINT });
    return;
  }
  if (
    count === null ||
    typeof count !== "object" ||
    Array.isArray(count) ||
    Object.keys(count).length === 0
  ) {
    issues.push({ path, message: COUNT_HINT });
    return;
  }
  for (const [op, operand] of Object.entries(count)) {
    const at = joinPath(path, op);
    if (COUNT_OPERATORS.has(op)) {
      if (typeof operand !== "number")
        issues.push({ path: at, message: `${op} compares the count with a number` });
    } else if (op === "$in" || op === "$nin") {
      if (!Array.isArray(operand) || !operand.every((n) => typeof n === "number")) {
        issues.push({ path: at, message: `${op} needs an array of numbers` });
      }
    } else {
      issues.push({
        path: at,
        message: `count filters use $eq, $ne, $gt, $gte, $lt, $lte, $in and $nin, not ${op}`,
      });
    }
  }
}
