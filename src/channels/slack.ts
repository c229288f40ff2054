import type { Channel } from "../core/model.js";
import type { SlackConfig } from "./config.js";
import { textField } from "./content.js";
import type { ProviderEnvironment } from "./environment.js";
import { permanent, retry, sendEach, sent } from "./outcome.js";
import type { Provider, ProviderMessage, SendOutcome } from "./provider.js";
import { excerpt } from "./provider-http.js";
import { retryDelay } from "./retry-after.js";

/**
 * Slack incoming webhooks: POST `{ text, blocks? }` to the webhook URL (the user's `slack`
 * address, else the configured one). Slack answers `200 ok`, or an error word in a plain-text
 * body: `400 invalid_payload`, `404 no_service`, `410 channel_is_archived`, `429` with
 * Retry-After. Slack has no idempotency mechanism: the key travels as `Idempotency-Key`.
 *
 * Content: `text` (required unless `blocks`), `blocks` (Block Kit array), optional `thread_ts`,
 * `unfurl_links`, `unfurl_media`, `mrkdwn`.
 */

/** Errors meaning the webhook itself is gone: the address will never work again. */
const DEAD_HOOK = new Set([
  "no_service",
  "no_active_hooks",
  "channel_not_found",
  "channel_is_archived",
  "team_disabled",
]);

export class SlackProvider implements Provider {
  readonly type = "slack";
  readonly maxBatch = 1;
  readonly id: string;
  readonly channels: readonly Channel[];

  constructor(
    private readonly config: SlackConfig,
    private readonly env: ProviderEnvironment,
  ) {
    this.id = env.id;
    this.channels = env.channels;
  }

  send(messages: readonly ProviderMessage[], signal: AbortSignal): Promise<SendOutcome[]> {
    return sendEach(this, messages, (message) => this.one(message, signal));
  }

  async close(): Promise<void> {}

  private async one(message: ProviderMessage, signal: AbortSignal): Promise<SendOutcome> {
    const perUser = message.address !== undefined && message.address !== "";
    const url = perUser ? message.address : this.config.url;
    if (url === undefined)
      return permanent(`provider ${this.id} has no url and user ${message.userId} has no Slack webhook`);
    const { payload } = message;
    const text = textField(payload, "text", "body");
    const blocks = Array.isArray(payload.blocks) ? payload.blocks : undefined;
    if (text === undefined && blocks === undefined)
      return permanent("slack message has neither text nor blocks");
    const body: Record<string, unknown> = {
      ...(text !== undefined ? { text } : {}),
      ...(blocks ? { blocks } : {}),
    };
    for (const option of ["thread_ts", "unfurl_links", "unfurl_media", "mrkdwn"]) {
      if (payload[option] !== undefined) body[option] = payload[option];
    }
    const result = await this.env.http.call(
      {
        url,
        headers: { "content-type": "application/json", "idempotency-key": message.idempotencyKey },
        body: JSON.stringify(body),
      },
      signal,
    );
    if (!result.ok) return result.outcome;
    const { status, text: answer, headers } = result.reply;
    const word = answer.trim();
    if (status === 200) return sent();
    const detail = `Slack answered ${status}${word ? ` ${excerpt(word, 100)}` : ""}`;
    if (status === 429 || status >= 500) return retry(detail, retryDelay(headers, this.env.now()));
    // A revoked hook on a user's own address means that address is dead; the configured one is an operator's fix.
    return permanent(detail, perUser && DEAD_HOOK.has(word));
  }
}
