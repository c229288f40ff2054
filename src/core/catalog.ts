import { parseLocalTime } from "./clock-time.js";
import {
  type CompiledCondition,
  type ConditionCompiler,
  compileCondition,
  compileEventMatch,
} from "./condition.js";
import { durationMs } from "./duration.js";
import { compileFilter, type Predicate } from "./filter.js";
import type { Input } from "./input.js";
import { type Issue, joinPath } from "./issue.js";
import type {
  Action,
  Channel,
  JourneyDefinition,
  JsonObject,
  Reentry,
  SegmentDefinition,
  TemplateDefinition,
} from "./model.js";
import type { Instance } from "./state.js";
import { type CompiledContent, compileContent, type TemplateEngine } from "./template.js";

/** Lifecycle of a published journey. Drafts never reach the engine. */
export type JourneyStatus = "active" | "paused" | "archived";

export interface CompiledEdge {
  index: number;
  to: string;
  when: CompiledCondition | undefined;
}

export type CompiledAction =
  | {
      kind: "send";
      index: number;
      channel: Channel;
      provider?: string;
      template?: string;
      content: CompiledContent;
    }
  | {
      kind: "update";
      index: number;
      set?: JsonObject;
      unset?: string[];
      increment?: { [key: string]: number };
    }
  | { kind: "webhook"; index: number; provider?: string; content: CompiledContent }
  | { kind: "emit"; index: number; event: string; content: CompiledContent };

export interface CompiledNode {
  id: string;
  actions: CompiledAction[];
  edges: CompiledEdge[];
  sends: boolean;
}

type EventMatch = (input: Input | undefined, instance: Instance | undefined) => boolean;

/** A published journey version compiled to closures: what `advance()` runs. */
export interface CompiledJourney {
  id: string;
  name: string;
  version: number;
  status: JourneyStatus;
  definition: JourneyDefinition;
  entry:
    | { kind: "event"; event: string; where: Predicate | undefined }
    | { kind: "segment"; segment: string }
    | { kind: "api" };
  keyPath: string | undefined;
  reentry: { mode: "never" | "always" } | { mode: "after"; ms: number };
  audience: CompiledCondition | undefined;
  exits: { label: string; match: EventMatch }[];
  goal: { label: string; match: EventMatch; withinMs: number | undefined; exit: boolean } | undefined;
  zone: string;
  quietHours: { from: number; to: number } | undefined;
  frequencyCap: { max: number; perMs: number; scope: "all" | "journey" } | undefined;
  maxAgeMs: number | undefined;
  start: string;
  nodes: ReadonlyMap<string, CompiledNode>;
  migrate: { readonly [oldNode: string]: string };
}

/** Everything the engine knows about one project's published journeys, segments and templates. */
export interface Catalog {
  journeys: ReadonlyMap<string, CompiledJourney>;
  /** Journeys entered by an event name: the fast path for the 70% of events no journey wants. */
  byEntryEvent: ReadonlyMap<string, CompiledJourney[]>;
  segmentEntries: readonly CompiledJourney[];
  segments: ReadonlyMap<string, CompiledCondition>;
  /** Event name -> tracked `performed` filters (history keys). */
  trackers: ReadonlyMap<string, { key: string; match: Predicate }[]>;
  /**
   * Which events the history summary records: only those a `performed` condition of a published
   * journey or segment counts (`referenced`, the default: the other events change no state at
   * all, which saves a profile write per event), or every event (`all`: a condition published
   * later also counts events from before it was published).
   */
  history: "all" | "referenced";
  performedNames: ReadonlySet<string>;
  /**
   * Every event name a journey or segment of this catalog reacts to: entry events, `event`
   * conditions, exits, goals and `performed` counts, of journeys in any status. An event with
   * another name is the same, to advance(), as any other such event (see src/core/quiet.ts).
   */
  eventNames: ReadonlySet<string>;
}

export interface CatalogSource {
  journeys: readonly { definition: JourneyDefinition; version: number; status: JourneyStatus }[];
  segments: readonly SegmentDefinition[];
  templates: readonly TemplateDefinition[];
  history?: "all" | "referenced";
}

/** Compiles published journeys, segments and templates into a Catalog; issues name their JSON path. */
export function buildCatalog(
  source: CatalogSource,
  engine: TemplateEngine,
): { catalog: Catalog; issues: Issue[] } {
  const issues: Issue[] = [];
  const trackers = new Map<string, { key: string; match: Predicate }[]>();
  const performedNames = new Set<string>();
  const eventNames = new Set<string>();
  const segments = new Map<string, CompiledCondition>();
  for (const segment of source.segments) {
    const compiler: ConditionCompiler = {
      issues,
      trackers,
      performedNames,
      eventNames,
      splitOffset: 0,
      journeyId: "",
      nodeId: segment.id,
    };
    segments.set(
      segment.id,
      compileCondition(
        segment.condition,
        joinPath(`segments.${segment.id}`, "condition"),
        compiler,
        undefined,
      ),
    );
  }
  const templates = new Map<string, { channel: Channel; content: CompiledContent }>();
  for (const template of source.templates) {
    const content = compileContent(engine, template.content, `templates.${template.id}.content`, issues);
    templates.set(template.id, { channel: template.channel, content });
  }
  const journeys = new Map<string, CompiledJourney>();
  const byEntryEvent = new Map<string, CompiledJourney[]>();
  const segmentEntries: CompiledJourney[] = [];
  for (const { definition, version, status } of source.journeys) {
    const journey = compileJourney(definition, version, status, {
      engine,
      templates,
      trackers,
      performedNames,
      eventNames,
      issues,
    });
    journeys.set(journey.id, journey);
    if (journey.entry.kind === "event") eventNames.add(journey.entry.event);
    for (const exit of definition.exit ?? []) eventNames.add(exit.event);
    if (definition.goal) eventNames.add(definition.goal.event);
    if (status !== "active") continue;
    if (journey.entry.kind === "event") {
      const list = byEntryEvent.get(journey.entry.event) ?? [];
      list.push(journey);
      byEntryEvent.set(journey.entry.event, list);
    } else if (journey.entry.kind === "segment") segmentEntries.push(journey);
  }
  return {
    catalog: {
      journeys,
      byEntryEvent,
      segmentEntries,
      segments,
      trackers,
      history: source.history ?? "referenced",
      performedNames,
      eventNames: new Set([...eventNames, ...performedNames]),
    },
    issues,
  };
}

interface JourneyCompiler {
  engine: TemplateEngine;
  templates: ReadonlyMap<string, { channel: Channel; content: CompiledContent }>;
  trackers: Map<string, { key: string; match: Predicate }[]>;
  performedNames: Set<string>;
  eventNames: Set<string>;
  issues: Issue[];
}

function compileJourney(
  definition: JourneyDefinition,
  version: number,
  status: JourneyStatus,
  env: JourneyCompiler,
): CompiledJourney {
  const { issues } = env;
  const base = `journeys.${definition.id}`;
  const conditions = (nodeId: string): ConditionCompiler => ({
    issues,
    trackers: env.trackers,
    performedNames: env.performedNames,
    eventNames: env.eventNames,
    splitOffset: 0,
    journeyId: definition.id,
    nodeId,
  });
  const spec = definition.entry;
  const keyPath = "key" in spec ? spec.key : undefined;
  const entry: CompiledJourney["entry"] =
    "event" in spec
      ? {
          kind: "event",
          event: spec.event,
          where: spec.where ? compileFilter(spec.where, `${base}.entry.where`, issues) : undefined,
        }
      : "segment" in spec
        ? { kind: "segment", segment: spec.segment }
        : { kind: "api" };
  const nodes = new Map<string, CompiledNode>();
  for (const [id, node] of Object.entries(definition.nodes)) {
    const path = joinPath(`${base}.nodes`, id);
    const compiler = conditions(id);
    const edges = (node.edges ?? []).map((edge, index) => ({
      index,
      to: edge.to,
      when: edge.when
        ? compileCondition(
            edge.when,
            joinPath(joinPath(joinPath(path, "edges"), index), "when"),
            compiler,
            keyPath,
          )
        : undefined,
    }));
    const actions = (node.actions ?? []).map((action, index) =>
      compileAction(action, index, joinPath(joinPath(path, "actions"), index), env),
    );
    nodes.set(id, { id, actions, edges, sends: actions.some((action) => action.kind === "send") });
  }
  const settings = definition.settings ?? {};
  const goal = definition.goal;
  return {
    id: definition.id,
    name: definition.name ?? definition.id,
    version,
    status,
    definition,
    entry,
    keyPath,
    reentry: compileReentry(spec.reentry),
    audience: definition.audience
      ? compileCondition(definition.audience, `${base}.audience`, conditions(""), keyPath)
      : undefined,
    exits: (definition.exit ?? []).map((exit, i) => ({
      label: `exit on ${exit.event}`,
      match: compileEventMatch(exit.event, exit.where, exit.sameKey, keyPath, `${base}.exit[${i}]`, issues),
    })),
    goal: goal
      ? {
          label: `goal ${goal.event}`,
          match: compileEventMatch(goal.event, goal.where, goal.sameKey, keyPath, `${base}.goal`, issues),
          withinMs: goal.within ? durationMs(goal.within) : undefined,
          exit: goal.exit ?? false,
        }
      : undefined,
    zone: settings.timezone ?? "UTC",
    quietHours: settings.quietHours
      ? {
          from: parseLocalTime(settings.quietHours.from) ?? 0,
          to: parseLocalTime(settings.quietHours.to) ?? 0,
        }
      : undefined,
    frequencyCap: settings.frequencyCap
      ? {
          max: settings.frequencyCap.max,
          perMs: durationMs(settings.frequencyCap.per),
          scope: settings.frequencyCap.scope ?? "all",
        }
      : undefined,
    maxAgeMs: settings.maxMessageAge ? durationMs(settings.maxMessageAge) : undefined,
    start: definition.start,
    nodes,
    migrate: definition.migrate ?? {},
  };
}

function compileReentry(reentry: Reentry | undefined): CompiledJourney["reentry"] {
  if (reentry === undefined || reentry === "never") return { mode: "never" };
  if (reentry === "always") return { mode: "always" };
  return { mode: "after", ms: durationMs(reentry.after) };
}

function compileAction(action: Action, index: number, path: string, env: JourneyCompiler): CompiledAction {
  const { engine, issues } = env;
  if ("send" in action) {
    const { channel, template, provider } = action.send;
    let content: CompiledContent;
    if (template !== undefined) {
      const found = env.templates.get(template);
      if (!found) {
        issues.push({
          path: joinPath(joinPath(path, "send"), "template"),
          message: `unknown template ${template}`,
        });
        content = compileContent(engine, {}, path, issues);
      } else content = found.content;
    } else
      content = compileContent(
        engine,
        action.send.content ?? {},
        joinPath(joinPath(path, "send"), "content"),
        issues,
      );
    return { kind: "send", index, channel, provider, template, content };
  }
  if ("update" in action) return { kind: "update", index, ...action.update };
  if ("webhook" in action) {
    const { provider, ...request } = action.webhook;
    return {
      kind: "webhook",
      index,
      provider,
      content: compileContent(engine, request as JsonObject, joinPath(path, "webhook"), issues),
    };
  }
  if ("emit" in action) {
    return {
      kind: "emit",
      index,
      event: action.emit.event,
      content: compileContent(
        engine,
        action.emit.properties ?? {},
        joinPath(joinPath(path, "emit"), "properties"),
        issues,
      ),
    };
  }
  const never: never = action;
  issues.push({ path, message: `unknown action ${JSON.stringify(never)}` });
  return { kind: "update", index };
}
