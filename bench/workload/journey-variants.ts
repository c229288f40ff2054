import type {
  Action,
  Condition,
  EntrySpec,
  Filter,
  JourneyDefinition,
  SegmentDefinition,
  TemplateDefinition,
} from "../../src/core/model.js";

/** An event a journey reacts to, and what its properties must satisfy. */
export interface EventSpec {
  name: string;
  where?: Filter;
  /** Dotted path of the correlation key (`properties.cartId`) the event must carry. */
  keyPath?: string;
}

/** One of the published benchmark journeys and the events that drive it. */
export interface JourneyVariant {
  definition: JourneyDefinition;
  /** The journey it was derived from. */
  baseId: string;
  /** Events that enter it (empty for segment entries). */
  entry: EventSpec[];
  /** Events its edges wait for (moves an instance along). */
  advance: EventSpec[];
  /** Exit and goal events. */
  finish: EventSpec[];
}

export interface JourneySource {
  journeys: readonly JourneyDefinition[];
  templates: readonly TemplateDefinition[];
  segments: readonly SegmentDefinition[];
}

/**
 * Derives `count` journeys from the bases. Variant i copies base `i % bases` in namespace
 * `floor(i / bases)`: ids and every event name get the namespace suffix, so each namespace is
 * a full copy of the base set where journeys still share events with each other (the exit of
 * one can be the entry of another) while namespaces have distinct triggers.
 */
export function journeyVariants(bases: readonly JourneyDefinition[], count: number): JourneyVariant[] {
  if (bases.length === 0) throw new Error("no base journeys to derive the workload from");
  const variants: JourneyVariant[] = [];
  for (let i = 0; i < count; i++) {
    const base = bases[i % bases.length] as JourneyDefinition;
    const namespace = Math.floor(i / bases.length);
    const rename = (name: string): string => (namespace === 0 ? name : `${name}_${namespace}`);
    const definition = renameJourney(structuredClone(base), `${base.id}-${namespace}`, rename);
    variants.push({ definition, baseId: base.id, ...eventsOf(definition) });
  }
  return variants;
}

/** Every event name the journeys and segments react to (so the workload can pick names none knows). */
export function reactiveEventNames(
  variants: readonly JourneyVariant[],
  segments: readonly SegmentDefinition[],
): Set<string> {
  const names = new Set<string>();
  for (const variant of variants) {
    for (const spec of [...variant.entry, ...variant.advance, ...variant.finish]) names.add(spec.name);
  }
  const specs: EventSpec[] = [];
  for (const segment of segments) collectEvents(segment.condition, undefined, specs);
  for (const spec of specs) names.add(spec.name);
  return names;
}

function renameJourney(
  journey: JourneyDefinition,
  id: string,
  rename: (name: string) => string,
): JourneyDefinition {
  journey.id = id;
  journey.entry = renameEntry(journey.entry, id, rename);
  if (journey.audience) journey.audience = renameCondition(journey.audience, rename);
  for (const exit of journey.exit ?? []) exit.event = rename(exit.event);
  if (journey.goal) journey.goal.event = rename(journey.goal.event);
  for (const node of Object.values(journey.nodes)) {
    for (const edge of node.edges ?? []) if (edge.when) edge.when = renameCondition(edge.when, rename);
    node.actions = node.actions?.map((action) => renameAction(action, rename));
    if (node.actions === undefined) delete node.actions;
  }
  return journey;
}

function renameEntry(entry: EntrySpec, id: string, rename: (name: string) => string): EntrySpec {
  if ("event" in entry) return { ...entry, event: rename(entry.event) };
  // API entries become events, so the workload can drive them like the others.
  if ("api" in entry) {
    const { api: _api, ...rest } = entry;
    return { ...rest, event: `enter_${id}` };
  }
  return entry;
}

function renameAction(action: Action, rename: (name: string) => string): Action {
  if ("emit" in action) return { emit: { ...action.emit, event: rename(action.emit.event) } };
  return action;
}

function renameCondition(condition: Condition, rename: (name: string) => string): Condition {
  if ("event" in condition) return { ...condition, event: rename(condition.event) };
  if ("performed" in condition)
    return { performed: { ...condition.performed, event: rename(condition.performed.event) } };
  if ("all" in condition) return { all: condition.all.map((c) => renameCondition(c, rename)) };
  if ("any" in condition) return { any: condition.any.map((c) => renameCondition(c, rename)) };
  if ("not" in condition) return { not: renameCondition(condition.not, rename) };
  return condition;
}

function eventsOf(journey: JourneyDefinition): Pick<JourneyVariant, "entry" | "advance" | "finish"> {
  const keyPath = "key" in journey.entry ? journey.entry.key : undefined;
  const entry: EventSpec[] = [];
  if ("event" in journey.entry) entry.push(spec(journey.entry.event, journey.entry.where, keyPath));
  const advance: EventSpec[] = [];
  for (const node of Object.values(journey.nodes)) {
    for (const edge of node.edges ?? []) if (edge.when) collectEvents(edge.when, keyPath, advance);
  }
  const finish: EventSpec[] = [];
  for (const exit of journey.exit ?? [])
    finish.push(spec(exit.event, exit.where, exit.sameKey ? keyPath : undefined));
  if (journey.goal) {
    finish.push(spec(journey.goal.event, journey.goal.where, journey.goal.sameKey ? keyPath : undefined));
  }
  return { entry, advance, finish };
}

function collectEvents(condition: Condition, keyPath: string | undefined, into: EventSpec[]): void {
  if ("event" in condition)
    into.push(spec(condition.event, condition.where, condition.sameKey ? keyPath : undefined));
  else if ("performed" in condition)
    into.push(spec(condition.performed.event, condition.performed.where, undefined));
  else if ("all" in condition) for (const c of condition.all) collectEvents(c, keyPath, into);
  else if ("any" in condition) for (const c of condition.any) collectEvents(c, keyPath, into);
  else if ("not" in condition) collectEvents(condition.not, keyPath, into);
}

function spec(name: string, where: Filter | undefined, keyPath: string | undefined): EventSpec {
  return { name, ...(where ? { where } : {}), ...(keyPath ? { keyPath } : {}) };
}
