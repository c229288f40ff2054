import { isValidTimezone, parseLocalTime } from "./clock-time.js";
import { compileFilter } from "./filter.js";
import { walkCondition } from "./gates.js";
import { type Issue, joinPath } from "./issue.js";
import {
  type Action,
  CHANNELS,
  type Condition,
  type JourneyDefinition,
  type JsonObject,
  type SegmentDefinition,
  type TemplateDefinition,
} from "./model.js";
import {
  checkContent,
  createTemplateEngine,
  sampleScope,
  type TemplateEngine,
  type TemplateScope,
} from "./template.js";
import {
  type ConditionChecks,
  type ConditionPlace,
  checkCondition,
  checkDuration,
  checkEventName,
  type References,
  splitTotal,
} from "./validate-condition.js";
import { checkGraph, suggest } from "./validate-graph.js";

/**
 * Validation before publish (DESIGN.md §2), after parseJourney has checked the shape: references,
 * durations, local times, timezones, filters, Liquid, and the graph. Every issue carries the JSON
 * path of the value at fault, and every issue is reported, not just the first.
 */

export { isGated, needsInput, walkCondition } from "./gates.js";
export type { References } from "./validate-condition.js";

export interface JourneyReferences {
  templates: References<TemplateDefinition>;
  segments: References<SegmentDefinition>;
  /** Checks the Liquid of inline content (a sandboxed engine is created when absent). */
  engine?: TemplateEngine;
}

/** Every semantic and graph problem of a parsed journey, each with its JSON path; empty when it can be published. */
export function validateJourney(journey: JourneyDefinition, refs: JourneyReferences): Issue[] {
  const issues: Issue[] = [];
  const entry = journey.entry;
  const hasKey = "key" in entry && typeof entry.key === "string" && entry.key !== "";
  const conditions = (place: ConditionPlace): ConditionChecks => ({
    issues,
    segments: refs.segments,
    hasKey,
    place,
  });

  checkEntry(journey, refs, issues);
  if (journey.audience !== undefined) {
    checkCondition(journey.audience, "audience", conditions("audience"));
    checkSplits([journey.audience], "audience", issues);
  }
  for (const [i, exit] of (journey.exit ?? []).entries()) {
    const at = joinPath("exit", i);
    checkEventName(exit.event, joinPath(at, "event"), issues);
    if (exit.where !== undefined) compileFilter(exit.where, joinPath(at, "where"), issues);
    if (exit.sameKey && !hasKey) issues.push({ path: joinPath(at, "sameKey"), message: NO_KEY });
  }
  if (journey.goal !== undefined) {
    const goal = journey.goal;
    checkEventName(goal.event, "goal.event", issues);
    if (goal.where !== undefined) compileFilter(goal.where, "goal.where", issues);
    if (goal.within !== undefined) checkDuration(goal.within, "goal.within", issues);
    if (goal.sameKey && !hasKey) issues.push({ path: "goal.sameKey", message: NO_KEY });
  }
  checkSettings(journey, issues);

  const engine = refs.engine ?? createTemplateEngine();
  const sample = sampleScope(journey);
  for (const [id, node] of Object.entries(journey.nodes ?? {})) {
    const path = joinPath("nodes", id);
    const actions = node.actions ?? [];
    const sends = actions.some((action) => "send" in action);
    for (const [i, action] of actions.entries()) {
      checkAction(action, joinPath(joinPath(path, "actions"), i), { journey, refs, engine, sample, issues });
    }
    const edges = node.edges ?? [];
    for (const [i, edge] of edges.entries()) {
      if (edge.when !== undefined) {
        checkCondition(
          edge.when,
          joinPath(joinPath(joinPath(path, "edges"), i), "when"),
          conditions(sends ? "sending-edge" : "edge"),
        );
      }
    }
    checkSplits(
      edges.map((edge) => edge.when),
      joinPath(path, "edges"),
      issues,
    );
  }
  issues.push(...checkGraph(journey));
  return issues;
}

const NO_KEY = 'sameKey compares correlation keys, but the entry has no "key"';

function checkEntry(journey: JourneyDefinition, refs: JourneyReferences, issues: Issue[]): void {
  const entry = journey.entry;
  if ("event" in entry) {
    checkEventName(entry.event, "entry.event", issues);
    if (entry.where !== undefined) compileFilter(entry.where, "entry.where", issues);
  } else if ("segment" in entry) {
    if (!refs.segments.has(entry.segment)) {
      issues.push({
        path: "entry.segment",
        message: `unknown segment "${entry.segment}"${suggest(entry.segment, ids(refs.segments))}`,
      });
    }
    if (entry.on !== "enter")
      issues.push({ path: "entry.on", message: 'a segment entry needs "on": "enter"' });
  } else if (!("api" in entry) || entry.api !== true) {
    issues.push({ path: "entry", message: "an entry has exactly one of event, segment, api" });
  }
  if ("key" in entry && entry.key !== undefined && !/^[^.]+(?:\.[^.]+)*$/.test(entry.key)) {
    issues.push({
      path: "entry.key",
      message: 'a key is a dotted path into the entry event, e.g. "properties.cartId"',
    });
  }
  const reentry = entry.reentry;
  if (reentry !== undefined && typeof reentry === "object")
    checkDuration(reentry.after, "entry.reentry.after", issues);
}

function checkSettings(journey: JourneyDefinition, issues: Issue[]): void {
  const settings = journey.settings;
  if (settings === undefined) return;
  if (settings.timezone !== undefined && !isValidTimezone(settings.timezone)) {
    issues.push({
      path: "settings.timezone",
      message: `unknown timezone "${settings.timezone}": use an IANA name such as Europe/Paris`,
    });
  }
  const quiet = settings.quietHours;
  if (quiet !== undefined) {
    const from = parseLocalTime(quiet.from);
    const to = parseLocalTime(quiet.to);
    if (from === undefined) issues.push({ path: "settings.quietHours.from", message: LOCAL_TIME });
    if (to === undefined) issues.push({ path: "settings.quietHours.to", message: LOCAL_TIME });
    if (from !== undefined && from === to) {
      issues.push({
        path: "settings.quietHours",
        message: "from and to are equal, so the quiet hours are empty",
      });
    }
  }
  const cap = settings.frequencyCap;
  if (cap !== undefined) {
    if (!Number.isInteger(cap.max) || cap.max < 1) {
      issues.push({
        path: "settings.frequencyCap.max",
        message: "max is a whole number of messages, at least 1",
      });
    }
    checkDuration(cap.per, "settings.frequencyCap.per", issues);
  }
  if (settings.maxMessageAge !== undefined)
    checkDuration(settings.maxMessageAge, "settings.maxMessageAge", issues);
}

const LOCAL_TIME = "invalid local time: use HH:MM or HH:MM:SS (24-hour clock), e.g. 21:00";

function checkSplits(conditions: readonly (Condition | undefined)[], path: string, issues: Issue[]): void {
  const total = splitTotal(conditions);
  if (total > 100) issues.push({ path, message: `split percents add up to ${total}, more than 100` });
}

interface ActionChecks {
  journey: JourneyDefinition;
  refs: JourneyReferences;
  engine: TemplateEngine;
  sample: TemplateScope;
  issues: Issue[];
}

function checkAction(action: Action, path: string, checks: ActionChecks): void {
  const { refs, engine, sample, issues } = checks;
  if ("send" in action) {
    const send = action.send;
    const at = joinPath(path, "send");
    if (!CHANNELS.includes(send.channel)) {
      issues.push({ path: joinPath(at, "channel"), message: `channel is one of ${CHANNELS.join(", ")}` });
    }
    if ((send.template === undefined) === (send.content === undefined)) {
      issues.push({ path: at, message: "a send has exactly one of template or content" });
    }
    if (send.template !== undefined)
      checkTemplateReference(send.template, send.channel, joinPath(at, "template"), refs, issues);
    if (send.content !== undefined)
      issues.push(...checkContent(engine, send.content, sample, joinPath(at, "content")));
  } else if ("update" in action) {
    const { set, unset, increment } = action.update;
    if (Object.keys(set ?? {}).length + (unset?.length ?? 0) + Object.keys(increment ?? {}).length === 0) {
      issues.push({ path: joinPath(path, "update"), message: "an update changes at least one attribute" });
    }
  } else if ("webhook" in action) {
    const at = joinPath(path, "webhook");
    const { url, method, headers, body } = action.webhook;
    const request: JsonObject = { url };
    if (method !== undefined) request.method = method;
    if (headers !== undefined) request.headers = headers;
    if (body !== undefined) request.body = body;
    if (typeof url !== "string" || url === "") {
      issues.push({ path: joinPath(at, "url"), message: "a webhook needs a url" });
    } else if (!url.includes("{{") && !url.includes("{%") && !isHttpUrl(url)) {
      issues.push({ path: joinPath(at, "url"), message: `not an http(s) URL: "${url}"` });
    }
    issues.push(...checkContent(engine, request, sample, at));
  } else if ("emit" in action) {
    const at = joinPath(path, "emit");
    checkEventName(action.emit.event, joinPath(at, "event"), issues);
    const entry = checks.journey.entry;
    if ("event" in entry && entry.event === action.emit.event && entry.reentry === "always") {
      issues.push({
        path: joinPath(at, "event"),
        message: `emitting "${action.emit.event}" re-enters this journey (reentry "always"), so users would loop without end`,
      });
    }
    if (action.emit.properties !== undefined) {
      issues.push(...checkContent(engine, action.emit.properties, sample, joinPath(at, "properties")));
    }
  } else {
    issues.push({ path, message: "an action has exactly one of send, update, webhook, emit" });
  }
}

function checkTemplateReference(
  id: string,
  channel: string,
  path: string,
  refs: JourneyReferences,
  issues: Issue[],
): void {
  if (!refs.templates.has(id)) {
    issues.push({ path, message: `unknown template "${id}"${suggest(id, ids(refs.templates))}` });
    return;
  }
  const template = isMap(refs.templates) ? refs.templates.get(id) : undefined;
  if (template !== undefined && template.channel !== channel) {
    issues.push({
      path,
      message: `template "${id}" is for ${template.channel}, but this send is on ${channel}`,
    });
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

function isMap<T>(references: References<T>): references is ReadonlyMap<string, T> {
  return "get" in references;
}

function ids(references: References<unknown>): string[] {
  return [...references.keys()];
}

/**
 * Every semantic problem of a parsed segment, each with its JSON path: its condition checks, and
 * references to unknown segments or back to itself (when `refs.segments` holds the bodies).
 */
export function validateSegment(
  segment: SegmentDefinition,
  refs: { segments: References<SegmentDefinition> },
): Issue[] {
  const issues: Issue[] = [];
  const bodies = isMap(refs.segments) ? refs.segments : undefined;
  const known = new Map<string, SegmentDefinition>(bodies ?? []);
  known.set(segment.id, segment);
  const segments: References<SegmentDefinition> = bodies
    ? known
    : new Set([...refs.segments.keys(), segment.id]);
  checkCondition(segment.condition, "condition", { issues, segments, hasKey: false, place: "segment" });
  checkSplits([segment.condition], "condition", issues);
  if (bodies) {
    const loop = segmentLoop(segment.id, known);
    if (loop)
      issues.push({
        path: loop.path,
        message: `segments refer to each other in a loop: ${loop.ids.join(" → ")}`,
      });
  }
  return issues;
}

/** A chain of references from `start` back to itself, with the path of its first reference. */
function segmentLoop(
  start: string,
  segments: ReadonlyMap<string, SegmentDefinition>,
): { ids: string[]; path: string } | undefined {
  const own = segments.get(start);
  if (!own) return undefined;
  const chainBack = (id: string, seen: Set<string>): string[] | undefined => {
    if (id === start) return [id];
    if (seen.has(id)) return undefined;
    seen.add(id);
    const segment = segments.get(id);
    if (!segment) return undefined;
    for (const { ref } of references(segment.condition)) {
      const rest = chainBack(ref, seen);
      if (rest) return [id, ...rest];
    }
    return undefined;
  };
  for (const { ref, path } of references(own.condition)) {
    const chain = chainBack(ref, new Set());
    if (chain) return { ids: [start, ...chain], path };
  }
  return undefined;
}

function references(condition: Condition): { ref: string; path: string }[] {
  const out: { ref: string; path: string }[] = [];
  for (const { condition: part, path } of walkCondition(condition, "condition")) {
    if ("segment" in part) out.push({ ref: part.segment, path: joinPath(path, "segment") });
  }
  return out;
}
