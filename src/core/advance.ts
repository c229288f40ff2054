import type { Catalog } from "./catalog.js";
import type { Watch } from "./condition.js";
import type { AdvanceResult } from "./effect.js";
import type {
  EngagementInput,
  EnterInput,
  EventInput,
  Input,
  JourneyChangedInput,
  ProfileInput,
  TimerInput,
} from "./input.js";
import { Run } from "./run.js";
import type { Instance, Millis, Profile } from "./state.js";
import { MESSAGE_BITS } from "./state.js";

/** What `advance()` needs to know: the moment, the project's catalog, and the user's state. */
export interface AdvanceContext {
  /** The moment the input is processed (injected: the core never reads a clock). */
  now: Millis;
  catalog: Catalog;
  profile: Profile | undefined;
  instances: readonly Instance[];
  /** Bound on transitions of one instance per input, so a bad graph can never spin (default 100). */
  maxSteps?: number;
}

/**
 * Applies one input to one user's state: a pure, deterministic function. It returns the user's
 * new state and the effects to commit (instances, timers, deliveries, journal lines...); it
 * performs none of them and does not modify its arguments.
 */
export function advance(context: AdvanceContext, input: Input): AdvanceResult {
  return runInput(new Run(context, input), input);
}

/**
 * advance() that also records, in `watch`, the next moment any time-dependent part it evaluated
 * can change its value (for src/core/quiet.ts; `watch` is the only thing it writes to).
 */
export function advanceWatched(context: AdvanceContext, input: Input, watch: Watch): AdvanceResult {
  return runInput(new Run(context, input, watch), input);
}

function runInput(run: Run, input: Input): AdvanceResult {
  switch (input.kind) {
    case "event":
      onEvent(run, input);
      break;
    case "timer":
      onTimer(run, input);
      break;
    case "profile":
      onProfile(run, input);
      break;
    case "journey-changed":
      onJourneyChanged(run, input);
      break;
    case "enter":
      onEnter(run, input);
      break;
    case "engagement":
      onEngagement(run, input);
      break;
    case "segments":
      if (run.profile) run.checkSegmentEntries(false);
      break;
    default: {
      const never: never = input;
      throw new TypeError(`unknown input ${JSON.stringify(never)}`);
    }
  }
  run.afterProfileChanges();
  return run.result();
}

function onEvent(run: Run, input: EventInput): void {
  run.ensureProfile();
  run.recordEvent(input);
  // Existing instances see the event before entries are made, so an entry event never also
  // moves the instance it creates.
  for (const instance of run.instancesSnapshot()) run.offerEvent(instance, input);
  for (const journey of run.catalog.byEntryEvent.get(input.name) ?? []) run.enterOnEvent(journey, input);
  run.checkSegmentEntries(false);
}

function onTimer(run: Run, input: TimerInput): void {
  run.timerFired(input.userId, input.timerId, input.due);
  const instance = run.find(input.journeyId, input.key);
  if (!instance || instance.timerId !== input.timerId || instance.status === "exited") return;
  run.onOwnTimer(instance);
}

function onProfile(run: Run, input: ProfileInput): void {
  run.ensureProfile();
  run.applyProfile(input);
  run.reevaluateAll();
  run.checkSegmentEntries(false);
}

function onJourneyChanged(run: Run, input: JourneyChangedInput): void {
  const journey = run.catalog.journeys.get(input.journeyId);
  for (const instance of run.instancesSnapshot()) {
    if (instance.journeyId === input.journeyId) run.refresh(instance);
  }
  if (journey?.status === "active" && journey.entry.kind === "segment") {
    run.ensureProfile();
    run.enterOnSegment(journey, true);
  }
}

function onEnter(run: Run, input: EnterInput): void {
  const journey = run.catalog.journeys.get(input.journeyId);
  if (journey?.entry.kind !== "api") {
    run.ignore(input.journeyId, journey ? "journey is not entered by API" : "no such published journey");
    return;
  }
  run.ensureProfile();
  run.enterOnApi(journey, input);
}

function onEngagement(run: Run, input: EngagementInput): void {
  const instance = run.find(input.journeyId, input.key);
  if (!instance || instance.entryId !== input.entryId) return;
  if (instance.status === "exited" || instance.node !== input.nodeId) {
    run.note(
      instance,
      "engagement",
      `message ${input.status} (from node ${input.nodeId}, no longer current)`,
    );
    return;
  }
  let bits = MESSAGE_BITS[input.status];
  if (input.status === "clicked") bits |= MESSAGE_BITS.opened | MESSAGE_BITS.delivered;
  if (input.status === "opened") bits |= MESSAGE_BITS.delivered;
  run.engage(instance, bits, input.status);
}
