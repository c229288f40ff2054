import { type AdvanceContext, advance } from "../advance.js";
import { buildCatalog, type Catalog, type JourneyStatus } from "../catalog.js";
import type { Effect } from "../effect.js";
import type { Input } from "../input.js";
import type { JourneyDefinition, JsonObject, SegmentDefinition, TemplateDefinition } from "../model.js";
import type { DeliveryRequest, Instance, JournalLine, Profile, Timer } from "../state.js";
import { createTemplateEngine } from "../template.js";

/** Builds a catalog for tests; throws on compile issues so a broken fixture is obvious. */
export function catalogOf(
  journeys: readonly (
    | JourneyDefinition
    | { definition: JourneyDefinition; version?: number; status?: JourneyStatus }
  )[],
  extra: { segments?: SegmentDefinition[]; templates?: TemplateDefinition[] } = {},
): Catalog {
  const { catalog, issues } = buildCatalog(
    {
      journeys: journeys.map((j) =>
        "definition" in j
          ? { definition: j.definition, version: j.version ?? 1, status: j.status ?? "active" }
          : { definition: j, version: 1, status: "active" as const },
      ),
      segments: extra.segments ?? [],
      templates: extra.templates ?? [],
    },
    createTemplateEngine(),
  );
  if (issues.length > 0) throw new Error(`fixture does not compile: ${JSON.stringify(issues)}`);
  return catalog;
}

/**
 * One user's state driven through advance() by hand, with a virtual clock: what the runtime
 * does, minus storage. Timers are fired explicitly with `fireDue`.
 */
export class UserDriver {
  profile: Profile | undefined;
  instances: Instance[] = [];
  timers = new Map<string, Timer>();
  deliveries: DeliveryRequest[] = [];
  journal: JournalLine[] = [];
  effects: Effect[] = [];
  emitted: Input[] = [];
  private seq = 0;

  constructor(
    public catalog: Catalog,
    readonly userId = "u1",
    public now = Date.UTC(2026, 0, 5, 12, 0, 0),
  ) {}

  apply(input: Input): Effect[] {
    const context: AdvanceContext = {
      now: this.now,
      catalog: this.catalog,
      profile: this.profile,
      instances: this.instances,
    };
    const result = advance(context, input);
    this.profile = result.profile;
    this.instances = result.instances;
    this.effects.push(...result.effects);
    for (const effect of result.effects) {
      if (effect.type === "timer.set") this.timers.set(effect.timer.id, effect.timer);
      if (effect.type === "timer.cancelled") this.timers.delete(effect.timerId);
      if (effect.type === "delivery") this.deliveries.push(effect.delivery);
      if (effect.type === "journal") this.journal.push(effect.line);
      if (effect.type === "event.emitted") this.emitted.push({ kind: "event", ...effect.event });
    }
    return result.effects;
  }

  event(name: string, properties: JsonObject = {}, id?: string): Effect[] {
    return this.apply({
      kind: "event",
      id: id ?? `e${++this.seq}`,
      userId: this.userId,
      name,
      properties,
      timestamp: this.now,
    });
  }

  identify(change: Omit<Extract<Input, { kind: "profile" }>, "kind" | "id" | "userId">): Effect[] {
    return this.apply({ kind: "profile", id: `p${++this.seq}`, userId: this.userId, ...change });
  }

  engage(status: "delivered" | "opened" | "clicked" | "failed", delivery = this.deliveries.at(-1)): Effect[] {
    if (!delivery) throw new Error("no delivery to engage with");
    return this.apply({
      kind: "engagement",
      id: `g${++this.seq}`,
      userId: this.userId,
      journeyId: delivery.journeyId,
      key: delivery.key,
      entryId: delivery.entryId,
      nodeId: delivery.nodeId,
      status,
    });
  }

  /** Advances the clock to `until`, firing every timer due on the way at its due time. */
  advanceTo(until: number): void {
    for (;;) {
      const next = [...this.timers.values()].filter((t) => t.due <= until).sort((a, b) => a.due - b.due)[0];
      if (!next) break;
      this.now = next.due;
      this.timers.delete(next.id);
      this.apply({
        kind: "timer",
        userId: this.userId,
        journeyId: next.journeyId,
        key: next.key,
        timerId: next.id,
        due: next.due,
      });
    }
    this.now = until;
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.now + ms);
  }

  instance(journeyId: string, key = ""): Instance | undefined {
    return this.instances.find((i) => i.journeyId === journeyId && i.key === key);
  }

  sent(): DeliveryRequest[] {
    return this.deliveries.filter((d) => d.skipReason === undefined);
  }
}

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
