import { attributeMoment, nextLocalTime, parseLocalTime } from "./clock-time.js";
import { durationMs, formatDuration } from "./duration.js";
import { compileFilter, getPath, type Predicate } from "./filter.js";
import { percentBucket } from "./hash.js";
import { countSince, MINUTE_MS, oldestMinuteSince } from "./history.js";
import type { EventInput, Input } from "./input.js";
import { type Issue, joinPath } from "./issue.js";
import type { Condition, Filter, Json } from "./model.js";
import { type Instance, MESSAGE_BITS, type Millis, type Profile } from "./state.js";

/** What a condition is evaluated against. */
export interface EvalContext {
  now: Millis;
  /** The input being processed; undefined on arrival at a node (no input is "current"). */
  input: Input | undefined;
  profile: Profile;
  instance: Instance;
  /** The user's timezone, or the journey's default. */
  zone: string;
  /** Saved segments by id. */
  segments: ReadonlyMap<string, CompiledCondition>;
  /**
   * Set only by `quietUntil`: every time-dependent part evaluated lowers `until` to the next
   * moment its value can change with time alone (see src/core/quiet.ts).
   */
  watch?: Watch;
}

/** The earliest moment a watched evaluation can turn out differently (Infinity: never by time alone). */
export interface Watch {
  until: Millis;
}

/** Lowers the watch to `at` when `at` is still ahead: a time part whose value changes at `at`. */
export function watchUntil(ctx: { now: Millis; watch?: Watch }, at: Millis): void {
  const { watch } = ctx;
  if (watch && at > ctx.now && at < watch.until) watch.until = at;
}

/** A condition compiled to closures, once per published version. */
export interface CompiledCondition {
  /** For journal lines: `after 2h`, `event order_completed`. */
  readonly label: string;
  holds(ctx: EvalContext): boolean;
  /** The earliest moment the time part of this condition can hold, or undefined if it has none. */
  earliest(ctx: EvalContext): Millis | undefined;
}

/** Per-compile state: tracked `performed` filters and the running split offset of a node. */
export interface ConditionCompiler {
  issues: Issue[];
  /** Event names some `performed` condition counts (kept in history even in "referenced" mode). */
  performedNames: Set<string>;
  /** Event names some `event` condition matches (with exits, goals and entries: see Catalog.eventNames). */
  eventNames: Set<string>;
  /** Event name -> tracked filters, so history counts `performed` with `where` exactly. */
  trackers: Map<string, { key: string; match: Predicate }[]>;
  /** Offset for the next split on the node being compiled (splits share the 0–100 range). */
  splitOffset: number;
  journeyId: string;
  nodeId: string;
}

const noTime = (): undefined => undefined;

/** The event as filters see it: `{ name, userId, properties, timestamp }`. */
export function eventDocument(event: EventInput): { [key: string]: unknown } {
  return { name: event.name, userId: event.userId, properties: event.properties, timestamp: event.timestamp };
}

/** The value of a correlation key path (`properties.cartId`) in an event, as a string. */
export function keyOf(event: EventInput, path: string | undefined): string | undefined {
  if (!path) return "";
  const value = getPath(eventDocument(event), path);
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

/** A compiled event matcher (used by edges, exits and goals). */
export function compileEventMatch(
  name: string,
  where: Filter | undefined,
  sameKey: boolean | undefined,
  keyPath: string | undefined,
  path: string,
  issues: Issue[],
): (input: Input | undefined, instance: Instance | undefined) => boolean {
  const filter = where ? compileFilter(where, joinPath(path, "where"), issues) : undefined;
  return (input, instance) => {
    if (input?.kind !== "event" || input.name !== name) return false;
    if (filter && !filter(eventDocument(input))) return false;
    if (sameKey && instance && keyOf(input, keyPath) !== instance.key) return false;
    return true;
  };
}

/** Compiles a condition; problems are appended to `compiler.issues` with their JSON path. */
export function compileCondition(
  condition: Condition,
  path: string,
  compiler: ConditionCompiler,
  keyPath: string | undefined,
): CompiledCondition {
  const { issues } = compiler;
  if ("event" in condition) {
    compiler.eventNames.add(condition.event);
    const match = compileEventMatch(
      condition.event,
      condition.where,
      condition.sameKey,
      keyPath,
      path,
      issues,
    );
    return {
      label: `event ${condition.event}`,
      holds: (ctx) => match(ctx.input, ctx.instance),
      earliest: noTime,
    };
  }
  if ("after" in condition) {
    const ms = durationMs(condition.after);
    return {
      label: `after ${formatDuration(ms)}`,
      holds: (ctx) => {
        const at = ctx.instance.nodeAt + ms;
        watchUntil(ctx, at);
        return ctx.now >= at;
      },
      earliest: (ctx) => ctx.instance.nodeAt + ms,
    };
  }
  if ("at" in condition) {
    const spec = condition.at;
    if ("localTime" in spec) {
      const seconds = parseLocalTime(spec.localTime) ?? 0;
      // Strictly after arrival: a daily loop that re-arrives at 09:00:00.000 waits for tomorrow's 09:00.
      const moment = (ctx: EvalContext) => nextLocalTime(ctx.instance.nodeAt + 1, seconds, ctx.zone);
      return {
        label: `at ${spec.localTime} local time`,
        holds: (ctx) => {
          const at = moment(ctx);
          watchUntil(ctx, at);
          return ctx.now >= at;
        },
        earliest: moment,
      };
    }
    const offset = spec.offset ? durationMs(spec.offset) : 0;
    const moment = (ctx: EvalContext) => {
      const base = attributeMoment(getPath(ctx.profile.attributes, spec.attribute), ctx.zone);
      return base === undefined ? undefined : base + offset;
    };
    return {
      label: `at ${spec.attribute}${spec.offset ? ` ${spec.offset}` : ""}`,
      holds: (ctx) => {
        const due = moment(ctx);
        if (due !== undefined) watchUntil(ctx, due);
        return due !== undefined && ctx.now >= due;
      },
      earliest: moment,
    };
  }
  if ("user" in condition) {
    const filter = compileFilter(condition.user, joinPath(path, "user"), issues);
    return { label: "user matches", holds: (ctx) => filter(ctx.profile.attributes), earliest: noTime };
  }
  if ("segment" in condition) {
    const id = condition.segment;
    return {
      label: `in segment ${id}`,
      holds: (ctx) => ctx.segments.get(id)?.holds(ctx) ?? false,
      earliest: noTime,
    };
  }
  if ("performed" in condition)
    return compilePerformed(condition.performed, joinPath(path, "performed"), compiler);
  if ("message" in condition) {
    const bit = MESSAGE_BITS[condition.message];
    return {
      label: `message ${condition.message}`,
      holds: (ctx) => (ctx.instance.engagement & bit) !== 0,
      earliest: noTime,
    };
  }
  if ("split" in condition) {
    const from = compiler.splitOffset;
    const to = from + condition.split.percent;
    compiler.splitOffset = to;
    const { journeyId, nodeId } = compiler;
    return {
      label: `split ${condition.split.percent}%`,
      holds: (ctx) => {
        const bucket = percentBucket(journeyId, ctx.instance.userId, ctx.instance.entryId, nodeId);
        return bucket >= from && bucket < to;
      },
      earliest: noTime,
    };
  }
  if ("all" in condition) {
    const parts = condition.all.map((child, i) =>
      compileCondition(child, joinPath(joinPath(path, "all"), i), compiler, keyPath),
    );
    return {
      label: parts.map((part) => part.label).join(" and "),
      holds: (ctx) => parts.every((part) => part.holds(ctx)),
      earliest: (ctx) => {
        let latest: Millis | undefined;
        for (const part of parts) {
          const at = part.earliest(ctx);
          if (at !== undefined && (latest === undefined || at > latest)) latest = at;
        }
        return latest;
      },
    };
  }
  if ("any" in condition) {
    const parts = condition.any.map((child, i) =>
      compileCondition(child, joinPath(joinPath(path, "any"), i), compiler, keyPath),
    );
    return {
      label: parts.map((part) => part.label).join(" or "),
      holds: (ctx) => parts.some((part) => part.holds(ctx)),
      earliest: (ctx) => {
        let first: Millis | undefined;
        for (const part of parts) {
          const at = part.earliest(ctx);
          if (at !== undefined && (first === undefined || at < first)) first = at;
        }
        return first;
      },
    };
  }
  if ("not" in condition) {
    const inner = compileCondition(condition.not, joinPath(path, "not"), compiler, keyPath);
    return { label: `not (${inner.label})`, holds: (ctx) => !inner.holds(ctx), earliest: noTime };
  }
  const never: never = condition;
  issues.push({ path, message: `unknown condition ${JSON.stringify(never)}` });
  return { label: "invalid", holds: () => false, earliest: noTime };
}

function compilePerformed(
  spec: { event: string; where?: Filter; within?: string; count?: Json },
  path: string,
  compiler: ConditionCompiler,
): CompiledCondition {
  let key = spec.event;
  compiler.performedNames.add(spec.event);
  if (spec.where) {
    key = `${spec.event}|${JSON.stringify(spec.where)}`;
    const match = compileFilter(spec.where, joinPath(path, "where"), compiler.issues);
    const list = compiler.trackers.get(spec.event) ?? [];
    if (!list.some((tracker) => tracker.key === key)) list.push({ key, match });
    compiler.trackers.set(spec.event, list);
  }
  const within = spec.within ? durationMs(spec.within) : undefined;
  const countSpec =
    spec.count === undefined
      ? { $gte: 1 }
      : typeof spec.count === "number"
        ? { $gte: spec.count }
        : spec.count;
  const countOk = compileFilter({ count: countSpec }, path, compiler.issues);
  return {
    label: `performed ${spec.event}${within ? ` within ${spec.within}` : ""}`,
    holds: (ctx) => {
      const entry = ctx.profile.history[key];
      if (within === undefined) return countOk({ count: countSince(entry, undefined) });
      // The count falls when its oldest minute leaves the window: that is when it can change.
      if (ctx.watch) {
        const oldest = oldestMinuteSince(entry, ctx.now - within);
        if (oldest !== undefined) watchUntil(ctx, (oldest + 1) * MINUTE_MS + within);
      }
      return countOk({ count: countSince(entry, ctx.now - within) });
    },
    earliest: noTime,
  };
}
