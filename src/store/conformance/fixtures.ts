import type { EventInput, Input } from "../../core/input.js";
import type { DeliveryRequest, Instance, JournalLine, Profile, Timer } from "../../core/state.js";
import { type CommitBatch, emptyChanges, type LogEntry, type ProjectChanges } from "../types.js";

/** Builders shared by the conformance cases: small, valid domain objects with overridable fields. */

export const A = "acme";
export const B = "globex";

/** What a JSON round trip keeps: stores persist JSON, so `undefined` properties come back absent. */
export const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export function event(id: string, userId = "u1", name = "viewed"): EventInput {
  return { kind: "event", id, userId, name, properties: { n: id }, timestamp: 500 };
}

export function entry(input: Input, partition = 0, project = A, appendedAt = 1_000): LogEntry {
  return { project, partition, input, appendedAt };
}

export function profile(id: string, attributes: Profile["attributes"] = {}): Profile {
  return {
    id,
    attributes,
    timezone: "Europe/Paris",
    channels: { email: { address: `${id}@example.com`, subscribed: true } },
    history: { viewed: { total: 2, first: 100, last: 200, buckets: [1, 1, 3, 1] } },
    messages: [{ at: 150, journeyId: "j1", channel: "email" }],
    segments: ["vip"],
    createdAt: 100,
    updatedAt: 200,
  };
}

export function instance(
  userId: string,
  journeyId = "j1",
  key = "",
  extra: Partial<Instance> = {},
): Instance {
  return {
    journeyId,
    userId,
    key,
    entryId: `entry-${userId}-${key}`,
    version: 1,
    node: "wait",
    status: "active",
    enteredAt: 1_000,
    nodeAt: 1_000,
    step: 0,
    engagement: 0,
    entries: 1,
    ...extra,
  };
}

export function delivery(idempotencyKey: string, extra: Partial<DeliveryRequest> = {}): DeliveryRequest {
  return {
    idempotencyKey,
    userId: "u1",
    journeyId: "j1",
    version: 1,
    entryId: "entry-1",
    key: "",
    nodeId: "push",
    actionIndex: 0,
    channel: "email",
    provider: "smtp",
    address: "u1@example.com",
    payload: { subject: `hello ${idempotencyKey}` },
    notBefore: 100,
    createdAt: 90,
    ...extra,
  };
}

export function timer(id: string, due: number, userId = "u1"): Timer {
  return { id, due, userId, journeyId: "j1", key: "" };
}

export function line(userId: string, at: number, reason = `step at ${at}`): JournalLine {
  return { at, userId, journeyId: "j1", node: "wait", kind: "moved", reason, cause: "timer" };
}

export function changes(project: string, extra: Partial<ProjectChanges> = {}): ProjectChanges {
  return { ...emptyChanges(project), ...extra };
}

export function batch(
  consumedOffset: number,
  list: ProjectChanges[],
  partition = 0,
  epoch?: number,
): CommitBatch {
  return epoch === undefined
    ? { partition, consumedOffset, changes: list }
    : { partition, consumedOffset, epoch, changes: list };
}

export const byKey = (a: Instance, b: Instance): number =>
  `${a.userId}\u0000${a.journeyId}\u0000${a.key}` < `${b.userId}\u0000${b.journeyId}\u0000${b.key}` ? -1 : 1;
