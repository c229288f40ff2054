import { type AdvanceContext, advanceWatched } from "./advance.js";
import type { Catalog } from "./catalog.js";
import type { Watch } from "./condition.js";
import type { AdvanceResult } from "./effect.js";
import type { EventInput } from "./input.js";
import type { Millis } from "./state.js";

/**
 * Quiet events: most tracked events (page views, app opens...) are named by no journey and no
 * segment. Such an event still runs through advance(), because time alone can make it matter:
 * a user who stopped ordering 60 days ago joins a `lapsed` segment on their next event, whatever
 * it is, and an instance whose `performed ... within` edge has lapsed moves on it. But for a given
 * state, advance() treats every such name alike, and the time parts it evaluates say until when
 * its answer stands. `quietUntil` computes that moment, so the executor can skip those events
 * for that user until then without reading them from the store (src/runtime/quiet-users.ts).
 */

/** True when no journey or segment of the catalog tells `name` apart from any other name. */
export function isQuietEvent(catalog: Catalog, name: string): boolean {
  // With `history: "all"` every event is counted in the user's history: none is quiet.
  return catalog.history === "referenced" && !catalog.eventNames.has(name);
}

/** The probe event's name: 129 characters, one more than a journey or segment may name (schema). */
const PROBE_NAME = "quiet-probe".padEnd(129, "\u0000");

/**
 * The moment until which a quiet event changes nothing for this user: advance() with any quiet
 * event at any time in [context.now, result) returns no effects and the same state. Returns
 * `context.now` (quiet for no time at all) when a quiet event would change something now, e.g.
 * the user has no profile yet.
 */
export function quietUntil(context: AdvanceContext): Millis {
  const userId = context.profile?.id;
  if (userId === undefined) return context.now;
  const probe: EventInput = {
    kind: "event",
    id: "",
    userId,
    name: PROBE_NAME,
    properties: {},
    timestamp: context.now,
  };
  return advanceQuiet(context, probe).quietUntil;
}

/**
 * advance() for a quiet event (the caller checked `isQuietEvent`), with `quietUntil` of the state
 * it leaves when it changed nothing, so the event is its own probe.
 */
export function advanceQuiet(
  context: AdvanceContext,
  input: EventInput,
): { result: AdvanceResult; quietUntil: Millis } {
  const watch: Watch = { until: Number.POSITIVE_INFINITY };
  const result = advanceWatched(context, input, watch);
  if (result.effects.length > 0 || !context.profile) return { result, quietUntil: context.now };
  let until = watch.until;
  // Not needed for the answer (an edge's time parts are watched), but a pending timer changes
  // the state when it fires anyway: nothing is vouched for beyond it.
  for (const instance of result.instances) {
    const due = instance.timerDue;
    if (due !== undefined && instance.status !== "exited" && due < until) until = Math.max(due, context.now);
  }
  return { result, quietUntil: until };
}
