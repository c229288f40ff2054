import type { Channel, Json, JsonObject } from "../core/model.js";
import type { FcmConfig } from "./config.js";
import { asRecord, isJsonObject, stringRecord, textField } from "./content.js";
import type { ProviderEnvironment } from "./environment.js";
import { parseGoogleError } from "./google-error.js";
import { GoogleTokenSource } from "./google-token.js";
import { permanent, retry, sendEach, sent } from "./outcome.js";
import type { Provider, ProviderMessage, SendOutcome } from "./provider.js";
import { type HttpReply, parseJson, statusOutcome } from "./provider-http.js";
import { retryDelay } from "./retry-after.js";
import { GOOGLE_TOKEN_URL } from "./service-account.js";

/**
 * Firebase Cloud Messaging HTTP v1: `POST /v1/projects/{project_id}/messages:send` with an
 * OAuth access token of the service account (cached in this instance). FCM has no idempotency
 * mechanism and no batch endpoint; the key travels in `Idempotency-Key` and in `data`, so the
 * app can drop a duplicate it already displayed.
 *
 * Content: `title`, `body`, optional `image`, `data` (values become strings), and `android`,
 * `apns`, `webpush` objects passed through as FCM defines them.
 */

export const FCM_BASE_URL = "https://fcm.googleapis.com";
export const FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging";

export class FcmProvider implements Provider {
  readonly type = "fcm";
  readonly maxBatch = 1;
  readonly id: string;
  readonly channels: readonly Channel[];
  private readonly endpoint: string;
  private readonly tokens: GoogleTokenSource;

  constructor(
    config: FcmConfig,
    private readonly env: ProviderEnvironment,
  ) {
    this.id = env.id;
    this.channels = env.channels;
    const base = (config.baseUrl ?? FCM_BASE_URL).replace(/\/+$/, "");
    this.endpoint = `${base}/v1/projects/${encodeURIComponent(config.project_id)}/messages:send`;
    this.tokens = new GoogleTokenSource({
      account: config,
      scope: FCM_SCOPE,
      tokenUrl: config.tokenUrl ?? config.token_uri ?? GOOGLE_TOKEN_URL,
      http: env.http,
      now: env.now,
    });
  }

  send(messages: readonly ProviderMessage[], signal: AbortSignal): Promise<SendOutcome[]> {
    return sendEach(this, messages, (message) => this.one(message, signal));
  }

  async close(): Promise<void> {}

  /** The v1 `messages:send` body of one message, or why it cannot be sent. */
  body(message: ProviderMessage): JsonObject | string {
    const token = message.address?.trim();
    if (!token) return `user ${message.userId} has no push token`;
    const { payload } = message;
    const title = textField(payload, "title");
    const text = textField(payload, "body", "text");
    const image = textField(payload, "image");
    const notification: JsonObject = {
      ...(title !== undefined ? { title } : {}),
      ...(text !== undefined ? { body: text } : {}),
      ...(image !== undefined ? { image } : {}),
    };
    const data: { [key: string]: Json } = {
      ...stringRecord(payload.data),
      idempotencyKey: message.idempotencyKey,
      journeyId: message.journeyId,
      nodeId: message.nodeId,
    };
    const body: JsonObject = { token, data };
    if (Object.keys(notification).length > 0) body.notification = notification;
    for (const platform of ["android", "apns", "webpush"]) {
      const value = payload[platform];
      if (isJsonObject(value)) body[platform] = value;
    }
    return { message: body };
  }

  private async one(message: ProviderMessage, signal: AbortSignal): Promise<SendOutcome> {
    const body = this.body(message);
    if (typeof body === "string") return permanent(body);
    const text = JSON.stringify(body);
    // A 401 usually means the cached token was revoked or expired early: refresh once.
    for (let attempt = 0; ; attempt++) {
      const access = await this.tokens.token();
      if (!access.ok) return access.outcome;
      const result = await this.env.http.call(
        {
          url: this.endpoint,
          headers: {
            authorization: `Bearer ${access.token}`,
            "content-type": "application/json; charset=utf-8",
            "idempotency-key": message.idempotencyKey,
          },
          body: text,
        },
        signal,
      );
      if (!result.ok) return result.outcome;
      const error = result.reply.status === 401 ? parseGoogleError(result.reply.text) : undefined;
      if (error && error.errorCode !== "THIRD_PARTY_AUTH_ERROR") {
        this.tokens.invalidate(access.token);
        if (attempt === 0) continue;
        return retry(`FCM 401 after a token refresh: ${error.message}`);
      }
      return this.classify(result.reply);
    }
  }

  private classify(reply: HttpReply): SendOutcome {
    const { status } = reply;
    if (status === 200) {
      const name = asRecord(parseJson(reply.text))?.name;
      return sent(typeof name === "string" ? name : undefined);
    }
    const error = parseGoogleError(reply.text);
    const code = error.errorCode ?? error.status ?? String(status);
    const detail = `FCM ${status} ${code}: ${error.message}`;
    if (status === 429 || status >= 500) return retry(detail, retryDelay(reply.headers, this.env.now()));
    if (code === "UNREGISTERED" || status === 404) return permanent(detail, true);
    if (code === "SENDER_ID_MISMATCH") return permanent(detail, true);
    if (status === 400) {
      // INVALID_ARGUMENT is about the token only when FCM says so; otherwise our payload is wrong.
      const badToken = error.fields.includes("message.token") || /registration token/i.test(error.message);
      return permanent(detail, badToken);
    }
    return statusOutcome({ ...reply, text: `${code}: ${error.message}` }, this.env.now(), "FCM");
  }
}
