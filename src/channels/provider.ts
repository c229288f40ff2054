import type { Dispatcher } from "undici";
import type { Channel, JsonObject } from "../core/model.js";
import type { LookupAddresses } from "./url-guard.js";

/**
 * The one small interface between the dispatcher and the channel providers (DESIGN.md §3).
 * The dispatcher owns claiming, retries, backoff, circuit breaking and rate limits; a provider
 * only turns rendered messages into calls of one real provider API and reports, per message,
 * what happened. Providers never throw for a message's failure: every failure is an outcome.
 */

/** A rendered message handed to a provider: a slice of an outbox row (DeliveryRequest). */
export interface ProviderMessage {
  /** Sent with every call, through the provider's own mechanism where one exists. */
  idempotencyKey: string;
  userId: string;
  journeyId: string;
  nodeId: string;
  channel: Channel;
  /** Device token, email address, phone number, Slack webhook URL... from the profile. */
  address?: string;
  /** Rendered content; for a journey's `webhook` action `{ url, method, headers, body }`. */
  payload: JsonObject;
}

/** What became of one message. */
export type SendOutcome =
  | { status: "sent"; providerMessageId?: string }
  /** Worth trying again later: network error, timeout, 5xx, 429. */
  | { status: "retry"; error: string; retryAfterMs?: number }
  /** Will fail the same way every time; `unsubscribe` marks the address dead (hard bounce, invalid token, opted-out number). */
  | { status: "permanent"; error: string; unsubscribe?: boolean };

export interface Provider {
  /** The id it is configured under (`PUT /v1/providers/{id}`). */
  readonly id: string;
  /** Provider type (`twilio`, `sendgrid`, ...). */
  readonly type: string;
  /** Channels this provider delivers; other messages get a permanent outcome. */
  readonly channels: readonly Channel[];
  /** Most messages one `send` call should carry: more share one API round trip only where the API allows it. */
  readonly maxBatch: number;
  /**
   * Calls it can make at once, when it has such a bound of its own (SMTP: its pool's
   * connections). The dispatcher starts no more: a call beyond it would wait inside the provider
   * with its timeout already running, and time out unsent.
   */
  readonly maxConcurrency?: number;
  /** Sends the messages; resolves with one outcome per message, in order, and never rejects. */
  send(messages: readonly ProviderMessage[], signal: AbortSignal): Promise<SendOutcome[]>;
  /** Releases pooled connections (SMTP); call when the provider is replaced or the dispatcher stops. */
  close(): Promise<void>;
}

/** What a provider needs from its host: injected so tests and benchmarks control the network and the clock. */
export interface ProviderOptions {
  /**
   * The connection pool HTTP calls go through (undici). Default: one shared per process; when
   * private URLs are not allowed, one whose connections are checked as they open (pinned-agent.ts).
   */
  dispatcher?: Dispatcher;
  /** Allow loopback and private targets (env JOURNEYS_ALLOW_PRIVATE_URLS=1; tests and local setups). */
  allowPrivateUrls: boolean;
  /** Epoch milliseconds: for Retry-After dates, JWT times and token expiry. */
  now: () => number;
  /** Per-call timeout in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** Hostname resolution for the URL guard and the connections (default: dns.lookup with all addresses). */
  lookup?: LookupAddresses;
}

/** Default per-call timeout: long enough for a slow provider, short enough not to stall a dispatcher slot. */
export const DEFAULT_TIMEOUT_MS = 10_000;
