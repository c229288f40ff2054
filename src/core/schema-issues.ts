import type { z } from "zod";
import { type Issue, joinPath } from "./issue.js";

/**
 * Turns zod issues into the engine's `{ path, message }` issues: JSON paths in joinPath form
 * (`nodes.push.edges[1].when.after`, `entry.where["properties.total"]`) and messages written for
 * journey authors rather than for zod.
 */

type ZodIssue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

/** Every zod issue as an Issue; `prefix` is prepended to each path. */
export function fromZodIssues(issues: readonly ZodIssue[], prefix: Path = []): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) collect(issue, prefix, out);
  return out;
}

function pathOf(prefix: Path, path: Path): string {
  let text = "";
  for (const key of [...prefix, ...path]) {
    text = joinPath(text, typeof key === "number" ? key : String(key));
  }
  return text;
}

function collect(issue: ZodIssue, prefix: Path, out: Issue[]): void {
  const at = (extra: Path = []) => pathOf(prefix, [...issue.path, ...extra]);
  switch (issue.code) {
    case "unrecognized_keys":
      for (const key of issue.keys) out.push({ path: at([key]), message: `unknown key "${key}"` });
      return;
    case "invalid_union": {
      // A union whose branches all failed: when exactly one branch got past the type check, its
      // issues say far more than "matches none of the options".
      const plausible = issue.errors.filter((branch) => !branch.some((inner) => isShapeMismatch(inner)));
      if (plausible.length === 1) {
        for (const inner of plausible[0] as ZodIssue[]) collect(inner, [...prefix, ...issue.path], out);
        return;
      }
      out.push({ path: at(), message: issue.message });
      return;
    }
    case "invalid_key": {
      const reason = issue.issues[0]?.message ?? issue.message;
      out.push({ path: at(), message: `invalid key: ${reason}` });
      return;
    }
    case "invalid_type":
      out.push({ path: at(), message: typeMessage(issue) });
      return;
    case "invalid_value":
      out.push({ path: at(), message: valueMessage(issue.values) });
      return;
    case "too_small":
    case "too_big":
      out.push({ path: at(), message: sizeMessage(issue) });
      return;
    default:
      out.push({ path: at(), message: issue.message });
  }
}

function isShapeMismatch(issue: ZodIssue): boolean {
  return issue.path.length === 0 && (issue.code === "invalid_type" || issue.code === "invalid_value");
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string")
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

function typeMessage(issue: z.core.$ZodIssueInvalidType): string {
  const expected = issue.expected === "record" ? "object" : issue.expected;
  if (issue.input === undefined) return `required (${article(expected)})`;
  return `expected ${article(expected)}, got ${describe(issue.input)}`;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function valueMessage(values: readonly unknown[]): string {
  if (values.length === 1) return `expected ${JSON.stringify(values[0])}`;
  return `expected one of ${values.map((value) => JSON.stringify(value)).join(", ")}`;
}

function sizeMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === "too_small";
  const limit = small
    ? (issue as z.core.$ZodIssueTooSmall).minimum
    : (issue as z.core.$ZodIssueTooBig).maximum;
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case "string":
      if (small && Number(limit) === 1) return "must not be empty";
      return small ? `must be at least ${limit} characters` : `must be at most ${limit} characters`;
    case "array":
    case "set":
      if (small && Number(limit) === 1) return "must not be empty";
      return small ? `needs at least ${limit} items` : `takes at most ${limit} items`;
    default: {
      const op = small ? (inclusive ? ">=" : ">") : inclusive ? "<=" : "<";
      return `must be ${op} ${limit}`;
    }
  }
}
