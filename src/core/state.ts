import type { Channel, Json, JsonObject } from "./model.js";

/**
 * Per-user state (DESIGN.md §2 "State"). Everything a decision needs lives here, in the user's
 * partition, so conditions are evaluated in memory.
 */

/** Epoch milliseconds. The core never reads a clock: every time comes in an input. */
export type Millis = number;

export interface ChannelAddress {
  /** Device token, email address, phone number, Slack webhook... */
  address?: string;
  /** Defaults to true when an address is set. */
  subscribed?: boolean;
  /** Why the address was unsubscribed (`bounced`, `invalid-token`, `user`...). */
  reason?: string;
}

/**
 * Compact history of one event name (or one tracked event+filter): minute buckets stored as a
 * flat array `[minute, count, minute, count, ...]`, oldest first, at most HISTORY_BUCKETS pairs.
 */
export interface EventHistory {
  total: number;
  first: Millis;
  last: Millis;
  buckets: number[];
}

/** A message sent to the user, kept for frequency caps (bounded, newest last). */
export interface SentMessage {
  at: Millis;
  journeyId: string;
  channel: Channel;
}

export interface Profile {
  id: string;
  attributes: JsonObject;
  timezone?: string;
  channels: { [channel: string]: ChannelAddress };
  /** Keyed by event name, or by `name|filterKey` for tracked `performed` filters. */
  history: { [key: string]: EventHistory };
  messages: SentMessage[];
  /** Segments (used as journey entries) the user is currently in, to detect "enter". */
  segments: string[];
  createdAt: Millis;
  updatedAt: Millis;
}

export type InstanceStatus = "active" | "held" | "exited";

/** Whether an instance counts as waiting at its node (journey stats): it has not exited. */
export function isWaiting(instance: { status: InstanceStatus }): boolean {
  return instance.status !== "exited";
}

/** A user's walk through one journey, for one correlation key. */
export interface Instance {
  journeyId: string;
  userId: string;
  /** Correlation key value ("" when the journey has no key). One instance per (journey, user, key). */
  key: string;
  /** Unique id of this entry: derived from the input that caused it. Part of idempotency keys. */
  entryId: string;
  version: number;
  node: string;
  status: InstanceStatus;
  enteredAt: Millis;
  nodeAt: Millis;
  /** Transitions taken so far: the "visit" in idempotency keys and timer ids. */
  step: number;
  /** Pending timer (at most one per instance). */
  timerId?: string;
  timerDue?: Millis;
  /** Engagement bits with the message sent on the current node (see MESSAGE_BITS). */
  engagement: number;
  converted?: Millis;
  exitedAt?: Millis;
  exitReason?: string;
  /** Properties of the entry event, for templates (`journey.entry.properties`). */
  entryProperties?: JsonObject;
  /** Number of times this (journey, user, key) has been entered. */
  entries: number;
}

export const MESSAGE_BITS = { delivered: 1, opened: 2, clicked: 4, failed: 8 } as const;

export interface Timer {
  id: string;
  due: Millis;
  userId: string;
  journeyId: string;
  key: string;
}

export type DeliveryStatus = "queued" | "sending" | "sent" | "delivered" | "failed" | "dead" | "skipped";

/** A message to send, written to the outbox in the same transaction as the step that caused it. */
export interface DeliveryRequest {
  /** hash(journey, user, entry, node, action index, step). */
  idempotencyKey: string;
  userId: string;
  journeyId: string;
  version: number;
  entryId: string;
  key: string;
  nodeId: string;
  actionIndex: number;
  channel: Channel | "webhook";
  provider?: string;
  /** Address copied from the profile at send time (absent for webhooks). */
  address?: string;
  /** Rendered content, or for webhook actions `{ url, method, headers, body }`. */
  payload: JsonObject;
  /** Earliest moment it may be sent. */
  notBefore: Millis;
  /** Latest moment it is still worth sending (from `maxMessageAge`). */
  expiresAt?: Millis;
  /** Set when the engine decided not to send (unsubscribed, no address, frequency cap): stored as `skipped`. */
  skipReason?: string;
  createdAt: Millis;
}

export type JournalKind =
  | "entered"
  | "moved"
  | "waiting"
  | "held"
  | "sent"
  | "skipped"
  | "updated"
  | "emitted"
  | "webhook"
  | "converted"
  | "exited"
  | "migrated"
  | "ignored"
  | "engagement"
  | "error";

/** One line of the audit trail: what happened to a user and why. */
export interface JournalLine {
  at: Millis;
  userId: string;
  journeyId?: string;
  version?: number;
  entryId?: string;
  node?: string;
  kind: JournalKind;
  /** Human-readable reason ("edge 1 matched: after 2h", "quiet hours until 08:00", ...). */
  reason: string;
  /** The input that caused it (`event:cart_updated#id`, `timer`, `profile`, ...). */
  cause?: string;
  data?: { [key: string]: Json };
}
