import type { Channel } from "../core/model.js";
import type { SendGridConfig } from "./config.js";
import { asRecord, textField } from "./content.js";
import type { ProviderEnvironment } from "./environment.js";
import { permanent, retry, sendEach, sent } from "./outcome.js";
import type { Provider, ProviderMessage, SendOutcome } from "./provider.js";
import { excerpt, parseJson } from "./provider-http.js";
import { retryDelay } from "./retry-after.js";

/**
 * SendGrid v3 Mail Send: `POST /v3/mail/send`, Bearer API key, JSON; `202 Accepted` with the
 * message id in `X-Message-Id`. SendGrid has no idempotency mechanism: the key goes in an
 * `Idempotency-Key` header (ignored today) and in `custom_args`, which every event webhook
 * (delivered, bounce, open, click) carries back, so receipts find their delivery.
 *
 * Content: `subject`, `text` and/or `html`. One request per message: SendGrid can fan one
 * request out to 1000 personalizations, but rendered content differs per user.
 */

export const SENDGRID_BASE_URL = "https://api.sendgrid.com";

export class SendGridProvider implements Provider {
  readonly type = "sendgrid";
  readonly maxBatch = 1;
  readonly id: string;
  readonly channels: readonly Channel[];
  private readonly endpoint: string;

  constructor(
    private readonly config: SendGridConfig,
    private readonly env: ProviderEnvironment,
  ) {
    this.id = env.id;
    this.channels = env.channels;
    this.endpoint = `${(config.baseUrl ?? SENDGRID_BASE_URL).replace(/\/+$/, "")}/v3/mail/send`;
  }

  send(messages: readonly ProviderMessage[], signal: AbortSignal): Promise<SendOutcome[]> {
    return sendEach(this, messages, (message) => this.one(message, signal));
  }

  async close(): Promise<void> {}

  /** The Mail Send body of one message, or why it cannot be sent. */
  body(message: ProviderMessage): Record<string, unknown> | string {
    const email = message.address?.trim();
    if (!email) return `user ${message.userId} has no email address`;
    const { payload } = message;
    const subject = textField(payload, "subject");
    if (subject === undefined) return "email has no subject";
    const text = textField(payload, "text");
    const html = textField(payload, "html");
    // SendGrid requires text/plain before text/html.
    const content = [
      ...(text !== undefined ? [{ type: "text/plain", value: text }] : []),
      ...(html !== undefined ? [{ type: "text/html", value: html }] : []),
    ];
    if (content.length === 0) return "email has neither text nor html";
    const from = typeof this.config.from === "string" ? { email: this.config.from } : this.config.from;
    return {
      personalizations: [
        {
          to: [{ email }],
          // custom_args values must be strings; they come back on every event webhook.
          custom_args: {
            idempotencyKey: message.idempotencyKey,
            userId: message.userId,
            journeyId: message.journeyId,
            nodeId: message.nodeId,
          },
        },
      ],
      from,
      ...(this.config.replyTo !== undefined ? { reply_to: { email: this.config.replyTo } } : {}),
      subject,
      content,
      headers: { "X-Journeys-Idempotency-Key": message.idempotencyKey },
      ...(this.config.sandbox ? { mail_settings: { sandbox_mode: { enable: true } } } : {}),
    };
  }

  private async one(message: ProviderMessage, signal: AbortSignal): Promise<SendOutcome> {
    const body = this.body(message);
    if (typeof body === "string") return permanent(body);
    const result = await this.env.http.call(
      {
        url: this.endpoint,
        headers: {
          authorization: `Bearer ${this.config.apiKey}`,
          "content-type": "application/json",
          "idempotency-key": message.idempotencyKey,
        },
        body: JSON.stringify(body),
      },
      signal,
    );
    if (!result.ok) return result.outcome;
    const { status, text, headers } = result.reply;
    if (status === 202 || status === 200) return sent(headers.get("x-message-id") ?? undefined);
    const errors = asRecord(parseJson(text))?.errors;
    const first = Array.isArray(errors) ? asRecord(errors[0]) : undefined;
    const reason = typeof first?.message === "string" ? first.message : excerpt(text, 200);
    const field = typeof first?.field === "string" ? ` (${first.field})` : "";
    const detail = `SendGrid ${status}: ${reason}${field}`;
    if (status === 429 || status >= 500) return retry(detail, retryDelay(headers, this.env.now()));
    // An address SendGrid calls invalid will never become valid: treat it as a hard bounce.
    const badAddress =
      status === 400 && typeof first?.field === "string" && /^personalizations\.\d+\.to\./.test(first.field);
    return permanent(detail, badAddress);
  }
}
