import type { JsonObject, MessageStatus } from "./model.js";
import type { ChannelAddress, Millis, Timer } from "./state.js";

/** Everything that can move a user: the inputs of `advance()`. All carry the user they concern. */
export type Input =
  | EventInput
  | TimerInput
  | ProfileInput
  | JourneyChangedInput
  | EnterInput
  | EngagementInput
  | SegmentsInput;

/** A tracked event (from the API, an SDK, or an `emit` action). */
export interface EventInput {
  kind: "event";
  /** Unique event id (client-supplied or generated); deterministic ids derive from it. */
  id: string;
  userId: string;
  name: string;
  properties: JsonObject;
  /** When the event happened (client time); `now` is when it is processed. */
  timestamp: Millis;
  /** W3C `traceparent` of the request that ingested it (set only while tracing); never read by the core. */
  trace?: string;
}

/** A durable timer came due. Stale when the instance's `timerId` no longer matches. */
export interface TimerInput {
  kind: "timer";
  userId: string;
  journeyId: string;
  key: string;
  timerId: string;
  due: Millis;
}

/** The input a due timer becomes. */
export function timerInput(timer: Timer): TimerInput {
  return {
    kind: "timer",
    userId: timer.userId,
    journeyId: timer.journeyId,
    key: timer.key,
    timerId: timer.id,
    due: timer.due,
  };
}

/** A profile change from the API (`identify`): attributes merged, channels merged. */
export interface ProfileInput {
  kind: "profile";
  id: string;
  userId: string;
  attributes?: JsonObject;
  unset?: string[];
  timezone?: string;
  channels?: { [channel: string]: ChannelAddress };
}

/**
 * A journey was published or resumed: migrate this user's instances to the current version,
 * re-evaluate where they stand, and enroll the user if they already match a segment entry.
 */
export interface JourneyChangedInput {
  kind: "journey-changed";
  id: string;
  userId: string;
  journeyId: string;
}

/** Entry by API call. */
export interface EnterInput {
  kind: "enter";
  id: string;
  userId: string;
  journeyId: string;
  properties: JsonObject;
}

/** Engagement with a message an instance sent (receipt, open, click, failure). */
export interface EngagementInput {
  kind: "engagement";
  id: string;
  userId: string;
  journeyId: string;
  key: string;
  entryId: string;
  nodeId: string;
  status: MessageStatus;
}

/**
 * Time passed: re-evaluate the segments journeys are entered by (a `performed ... within`
 * window slides without any event), entering the user where they became a member.
 */
export interface SegmentsInput {
  kind: "segments";
  id: string;
  userId: string;
}

/** A short stable description of an input for the journal (`event cart_updated`, `timer`...). */
export function describeInput(input: Input): string {
  switch (input.kind) {
    case "event":
      return `event ${input.name}#${input.id}`;
    case "timer":
      return `timer ${input.timerId}`;
    case "profile":
      return "profile update";
    case "journey-changed":
      return `journey ${input.journeyId} changed`;
    case "enter":
      return `api entry #${input.id}`;
    case "engagement":
      return `message ${input.status}`;
    case "segments":
      return "segment re-evaluation";
  }
}
