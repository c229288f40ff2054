import type { Channel } from "../core/model.js";
import type { WebhookConfig } from "./config.js";
import { asRecord, stringRecord, textField } from "./content.js";
import type { ProviderEnvironment } from "./environment.js";
import { permanent, sendEach } from "./outcome.js";
import type { Provider, ProviderMessage, SendOutcome } from "./provider.js";
import { type HttpReply, parseJson, statusOutcome } from "./provider-http.js";
import { SIGNATURE_HEADER, signWebhookBody, TIMESTAMP_HEADER } from "./webhook-signature.js";

/**
 * The generic webhook provider. Two kinds of message:
 *
 * - a `send` on any channel: POST `{ idempotencyKey, userId, journeyId, nodeId, channel,
 *   address?, content }` as JSON to the configured `url` (for the `webhook` channel, the user's
 *   address is the URL when set);
 * - a journey's `webhook` action (channel `webhook`, payload `{ url, method?, headers?, body? }`,
 *   already rendered): that request, to that URL. Configured headers are not sent there, since
 *   the journey picks the URL and they may hold credentials; the signature is (it reveals nothing).
 *
 * Every call carries `Idempotency-Key`; with a secret, `X-Journeys-Signature` and `-Timestamp`.
 */

const ACTION_METHODS = new Set(["POST", "PUT", "PATCH", "GET", "DELETE"]);
/** Headers a webhook action may not set: the transport or Journeys owns them. */
const ACTION_RESERVED = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "idempotency-key",
  "x-journeys-signature",
  "x-journeys-timestamp",
]);

export class WebhookProvider implements Provider {
  readonly type = "webhook";
  readonly maxBatch = 1;
  readonly id: string;
  readonly channels: readonly Channel[];

  constructor(
    private readonly config: WebhookConfig,
    private readonly env: ProviderEnvironment,
  ) {
    this.id = env.id;
    this.channels = env.channels;
  }

  send(messages: readonly ProviderMessage[], signal: AbortSignal): Promise<SendOutcome[]> {
    return sendEach(this, messages, (message) =>
      isWebhookAction(message) ? this.action(message, signal) : this.post(message, signal),
    );
  }

  async close(): Promise<void> {}

  private async post(message: ProviderMessage, signal: AbortSignal): Promise<SendOutcome> {
    // Only a `webhook` channel address is a URL; other channels' addresses (tokens, numbers) go in the body.
    const perUser = message.channel === "webhook" && message.address !== undefined && message.address !== "";
    const url = perUser ? message.address : this.config.url;
    if (url === undefined) {
      return permanent(`provider ${this.id} has no url and user ${message.userId} has no webhook address`);
    }
    const body = JSON.stringify({
      idempotencyKey: message.idempotencyKey,
      userId: message.userId,
      journeyId: message.journeyId,
      nodeId: message.nodeId,
      channel: message.channel,
      ...(!perUser && message.address ? { address: message.address } : {}),
      content: message.payload,
    });
    const headers: Record<string, string> = {
      ...(perUser ? {} : (this.config.headers ?? {})),
      "content-type": "application/json",
      ...this.commonHeaders(message, body),
    };
    const result = await this.env.http.call({ url, method: "POST", headers, body }, signal);
    if (!result.ok) return result.outcome;
    return this.classify(result.reply, perUser);
  }

  private async action(message: ProviderMessage, signal: AbortSignal): Promise<SendOutcome> {
    const { payload } = message;
    const url = textField(payload, "url") ?? "";
    const method = (textField(payload, "method") ?? "POST").toUpperCase();
    if (!ACTION_METHODS.has(method)) return permanent(`webhook action method ${method} is not supported`);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(stringRecord(payload.headers))) {
      if (!ACTION_RESERVED.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
    }
    let body: string | undefined;
    const raw = payload.body;
    if (raw !== undefined && raw !== null && method !== "GET") {
      body = typeof raw === "string" ? raw : JSON.stringify(raw);
      if (headers["content-type"] === undefined) {
        headers["content-type"] = typeof raw === "string" ? "text/plain; charset=utf-8" : "application/json";
      }
    }
    Object.assign(headers, this.commonHeaders(message, body ?? ""));
    const result = await this.env.http.call(
      { url, method, headers, ...(body !== undefined ? { body } : {}) },
      signal,
    );
    if (!result.ok) return result.outcome;
    return this.classify(result.reply, false);
  }

  private commonHeaders(message: ProviderMessage, body: string): Record<string, string> {
    const headers: Record<string, string> = {
      "user-agent": "Journeys",
      "idempotency-key": message.idempotencyKey,
    };
    if (this.config.secret !== undefined) {
      const timestamp = Math.floor(this.env.now() / 1000);
      headers[TIMESTAMP_HEADER.toLowerCase()] = String(timestamp);
      headers[SIGNATURE_HEADER.toLowerCase()] = signWebhookBody(this.config.secret, timestamp, body);
    }
    return headers;
  }

  private classify(reply: HttpReply, perUser: boolean): SendOutcome {
    const id = asRecord(parseJson(reply.text))?.id;
    const outcome = statusOutcome(reply, this.env.now(), "webhook", typeof id === "string" ? id : undefined);
    // 410 Gone on a user's own endpoint: the address is dead, stop sending to it.
    if (outcome.status === "permanent" && perUser && reply.status === 410)
      return permanent(outcome.error, true);
    return outcome;
  }
}

/** A journey `webhook` action: channel webhook and a rendered payload carrying its own URL. */
export function isWebhookAction(message: ProviderMessage): boolean {
  return message.channel === "webhook" && typeof message.payload.url === "string";
}
