import type { JsonObject } from "./model.js";
import type { DeliveryRequest, Instance, JournalLine, Millis, Profile, Timer } from "./state.js";

/**
 * What `advance()` asks the runtime to do. The runtime commits all of them, with the consumed
 * offset, in one transaction; it executes none of them before that commit.
 */
export type Effect =
  | { type: "instance.entered"; instance: Instance }
  | { type: "instance.moved"; instance: Instance; from: string; edge: number }
  | { type: "instance.updated"; instance: Instance }
  | { type: "instance.exited"; instance: Instance; reason: string }
  | { type: "instance.converted"; instance: Instance }
  | { type: "timer.set"; timer: Timer }
  | {
      type: "timer.cancelled";
      timerId: string;
      userId: string;
      /** When it was due: the store finds timers by due time (a timer id names one due). */
      due: Millis;
    }
  | { type: "delivery"; delivery: DeliveryRequest }
  | { type: "profile.updated"; profile: Profile }
  | { type: "event.emitted"; event: EmittedEvent }
  | { type: "journal"; line: JournalLine };

/** An event an `emit` action produces; the runtime appends it to the log. Its id is deterministic. */
export interface EmittedEvent {
  id: string;
  userId: string;
  name: string;
  properties: JsonObject;
  timestamp: number;
}

/** The user's state after an input, and what must be done about it. */
export interface AdvanceResult {
  profile: Profile | undefined;
  /** Every instance of the user after the input (changed or not). */
  instances: Instance[];
  effects: Effect[];
}
