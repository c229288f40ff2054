/**
 * The journey definition format (DESIGN.md §2): the JSON contract shared by the API, the UI,
 * the CLI and files. These types describe a definition *as written*; `compile()` turns a valid
 * definition into the closures the engine runs.
 */

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A duration such as `30s`, `15m`, `2h`, `7d`, `1w` (see duration.ts). */
export type DurationText = string;

/** A MongoDB-style filter over dotted paths: `{ "properties.total": { "$gt": 50 } }`. */
export type Filter = { [path: string]: Json };

export type MessageStatus = "delivered" | "opened" | "clicked" | "failed";

/** Edge, audience and exit conditions. Exactly one key per object. */
export type Condition =
  | { event: string; where?: Filter; sameKey?: boolean }
  | { after: DurationText }
  | { at: AtSpec }
  | { user: Filter }
  | { segment: string }
  | { performed: PerformedSpec }
  | { message: MessageStatus }
  | { split: { percent: number } }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

/** A wall-clock moment: the next `localTime` in the user's timezone, or an attribute date plus an offset. */
export type AtSpec = { localTime: string } | { attribute: string; offset?: DurationText };

export interface PerformedSpec {
  event: string;
  where?: Filter;
  /** Lookback window; without it, all recorded history counts. */
  within?: DurationText;
  /** Filter on the count (default `{ "$gte": 1 }`). */
  count?: Json;
}

export type Reentry = "never" | "always" | { after: DurationText };

export type EntrySpec =
  | { event: string; where?: Filter; key?: string; reentry?: Reentry }
  | { segment: string; on: "enter"; reentry?: Reentry }
  | { api: true; key?: string; reentry?: Reentry };

export interface ExitSpec {
  event: string;
  where?: Filter;
  /** The exit event must carry the same correlation key as the entry event. */
  sameKey?: boolean;
}

export interface GoalSpec {
  event: string;
  where?: Filter;
  within?: DurationText;
  sameKey?: boolean;
  /** Leave the journey when the goal is reached (default false: conversion is only counted). */
  exit?: boolean;
}

export interface QuietHours {
  from: string;
  to: string;
}

export interface FrequencyCap {
  max: number;
  per: DurationText;
  /** `all` counts messages from every journey (default), `journey` only this journey's. */
  scope?: "all" | "journey";
}

export interface JourneySettings {
  /** Default timezone for users without one (IANA). Default `UTC`. */
  timezone?: string;
  quietHours?: QuietHours;
  frequencyCap?: FrequencyCap;
  /** Deliveries older than this are dropped by the dispatcher (default none). */
  maxMessageAge?: DurationText;
  /**
   * Refuse to publish a node whose every edge waits for an event or a message with no time edge,
   * where a user could wait forever (default false).
   */
  requireTimeouts?: boolean;
}

export type Channel = "push" | "email" | "sms" | "whatsapp" | "slack" | "webhook";
export const CHANNELS: readonly Channel[] = ["push", "email", "sms", "whatsapp", "slack", "webhook"];

/** Channel content: every string is a Liquid template. Fields depend on the channel. */
export type Content = JsonObject;

export interface SendAction {
  send: { channel: Channel; template?: string; content?: Content; provider?: string };
}
export interface UpdateAction {
  update: { set?: JsonObject; unset?: string[]; increment?: { [attribute: string]: number } };
}
export interface WebhookAction {
  webhook: {
    url: string;
    method?: "POST" | "PUT" | "PATCH" | "GET" | "DELETE";
    headers?: { [name: string]: string };
    body?: Json;
    provider?: string;
  };
}
export interface EmitAction {
  emit: { event: string; properties?: JsonObject };
}
export type Action = SendAction | UpdateAction | WebhookAction | EmitAction;

export interface Edge {
  to: string;
  when?: Condition;
  /** Optional label shown in the UI and the journal. */
  label?: string;
}

export interface JourneyNode {
  name?: string;
  actions?: Action[];
  edges?: Edge[];
  /** UI position; ignored by the engine. */
  position?: { x: number; y: number };
}

export interface JourneyDefinition {
  id: string;
  name?: string;
  description?: string;
  entry: EntrySpec;
  audience?: Condition;
  exit?: ExitSpec[];
  goal?: GoalSpec;
  settings?: JourneySettings;
  start: string;
  nodes: { [id: string]: JourneyNode };
  /** On publish: where instances on removed nodes go (old node id -> new node id). */
  migrate?: { [oldNode: string]: string };
}

/** A saved, named condition. */
export interface SegmentDefinition {
  id: string;
  name?: string;
  condition: Condition;
}

/** A template: channel plus content whose strings are Liquid templates. */
export interface TemplateDefinition {
  id: string;
  channel: Channel;
  content: Content;
}
