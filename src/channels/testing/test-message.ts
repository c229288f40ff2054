import { randomUUID } from "node:crypto";
import type { Channel, JsonObject } from "../../core/model.js";
import type { ProviderMessage } from "../provider.js";

/** A ProviderMessage for tests and benchmarks; a fresh idempotency key unless one is given. */
export function testMessage(
  channel: Channel,
  address: string | undefined,
  payload: JsonObject,
  overrides: Partial<ProviderMessage> = {},
): ProviderMessage {
  return {
    idempotencyKey: randomUUID().replace(/-/g, ""),
    userId: "user-1",
    journeyId: "journey-1",
    nodeId: "node-1",
    channel,
    ...(address !== undefined ? { address } : {}),
    payload,
    ...overrides,
  };
}
