import type { Channel } from "../core/model.js";
import type { TwilioConfig } from "./config.js";
import { asRecord, isJsonObject, textField } from "./content.js";
import type { ProviderEnvironment } from "./environment.js";
import { permanent, retry, sendEach, sent } from "./outcome.js";
import type { Provider, ProviderMessage, SendOutcome } from "./provider.js";
import { excerpt, parseJson } from "./provider-http.js";
import { retryDelay } from "./retry-after.js";

/**
 * Twilio Programmable Messaging for SMS and WhatsApp: `POST /2010-04-01/Accounts/{AccountSid}/
 * Messages.json`, Basic auth, form-encoded. The idempotency key goes in Twilio's
 * `I-Twilio-Idempotency-Token` header (the name Twilio uses for idempotency tokens; whether the
 * Messages API drops a repeated token is Twilio's to guarantee, not ours) and, through the
 * StatusCallback URL, comes back with every status update.
 *
 * Content: `text` (or `body`) for SMS and free-form WhatsApp; WhatsApp templates use
 * `contentSid` (or `template`, an `HX...` Content SID) with `variables` (an object, sent as the
 * ContentVariables JSON string); optional `mediaUrl` (string or list).
 */

export const TWILIO_BASE_URL = "https://api.twilio.com";

/** Error codes meaning the number itself will never receive: invalid, not mobile, or opted out (STOP). */
const DEAD_NUMBER = new Map<number, string>([
  [21211, "invalid 'To' number"],
  [21610, "recipient unsubscribed (replied STOP)"],
  [21614, "'To' number is not a mobile number"],
  [63024, "invalid WhatsApp recipient"],
]);
const RATE_LIMITED = new Set([20429, 14107, 30022]);

export class TwilioProvider implements Provider {
  readonly type = "twilio";
  readonly maxBatch = 1;
  readonly id: string;
  readonly channels: readonly Channel[];
  private readonly endpoint: string;
  private readonly authorization: string;

  constructor(
    private readonly config: TwilioConfig,
    private readonly env: ProviderEnvironment,
  ) {
    this.id = env.id;
    this.channels = env.channels;
    const base = (config.baseUrl ?? TWILIO_BASE_URL).replace(/\/+$/, "");
    this.endpoint = `${base}/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`;
    this.authorization = `Basic ${Buffer.from(`${config.accountSid}:${config.authToken}`).toString("base64")}`;
  }

  send(messages: readonly ProviderMessage[], signal: AbortSignal): Promise<SendOutcome[]> {
    return sendEach(this, messages, (message) => this.one(message, signal));
  }

  async close(): Promise<void> {}

  /** The form parameters of one message, or the reason it cannot be sent. */
  params(message: ProviderMessage): URLSearchParams | string {
    const { config } = this;
    const whatsapp = message.channel === "whatsapp";
    const address = message.address?.trim();
    if (!address) return `user ${message.userId} has no ${message.channel} number`;
    const params = new URLSearchParams();
    params.set("To", whatsapp ? withWhatsappPrefix(address) : address);
    if (config.messagingServiceSid !== undefined) {
      params.set("MessagingServiceSid", config.messagingServiceSid);
    } else {
      const from = whatsapp ? (config.whatsappFrom ?? config.from) : config.from;
      if (from === undefined) return `provider ${this.id} has no ${message.channel} sender (from)`;
      params.set("From", whatsapp ? withWhatsappPrefix(from) : from);
    }
    const { payload } = message;
    const contentSid = textField(payload, "contentSid") ?? templateSid(textField(payload, "template"));
    const text = textField(payload, "text", "body");
    if (contentSid !== undefined) {
      params.set("ContentSid", contentSid);
      const variables = payload.variables ?? payload.contentVariables;
      if (isJsonObject(variables)) params.set("ContentVariables", JSON.stringify(variables));
      else if (typeof variables === "string") params.set("ContentVariables", variables);
    } else if (text !== undefined) {
      params.set("Body", text);
    }
    const media = payload.mediaUrl;
    for (const url of Array.isArray(media) ? media : media === undefined ? [] : [media]) {
      if (typeof url === "string") params.append("MediaUrl", url);
    }
    if (!params.has("Body") && !params.has("ContentSid") && !params.has("MediaUrl")) {
      return `${message.channel} message has no text, contentSid or mediaUrl`;
    }
    if (config.statusCallback !== undefined) {
      const callback = new URL(config.statusCallback);
      // Lets the callbacks endpoint find the delivery without a sid lookup.
      callback.searchParams.set("journeysKey", message.idempotencyKey);
      params.set("StatusCallback", callback.toString());
    }
    return params;
  }

  private async one(message: ProviderMessage, signal: AbortSignal): Promise<SendOutcome> {
    const params = this.params(message);
    if (typeof params === "string") return permanent(params);
    const result = await this.env.http.call(
      {
        url: this.endpoint,
        headers: {
          authorization: this.authorization,
          "content-type": "application/x-www-form-urlencoded",
          accept: "application/json",
          "i-twilio-idempotency-token": message.idempotencyKey,
        },
        body: params.toString(),
      },
      signal,
    );
    if (!result.ok) return result.outcome;
    const { status, text, headers } = result.reply;
    const document = asRecord(parseJson(text));
    if (status === 200 || status === 201) {
      return sent(typeof document?.sid === "string" ? document.sid : undefined);
    }
    const code = typeof document?.code === "number" ? document.code : undefined;
    const reason = typeof document?.message === "string" ? document.message : excerpt(text, 200);
    const detail = `Twilio ${status}${code !== undefined ? ` error ${code}` : ""}: ${reason}`;
    if (status === 429 || (code !== undefined && RATE_LIMITED.has(code)) || status >= 500) {
      return retry(detail, retryDelay(headers, this.env.now()));
    }
    const dead = code === undefined ? undefined : DEAD_NUMBER.get(code);
    if (dead !== undefined) return permanent(`${detail} (${dead})`, true);
    return permanent(detail);
  }
}

function withWhatsappPrefix(address: string): string {
  return address.startsWith("whatsapp:") ? address : `whatsapp:${address}`;
}

/** A `template` field holds a Content SID when it looks like one (`HX` + 32 hex digits). */
function templateSid(template: string | undefined): string | undefined {
  return template !== undefined && /^HX[0-9a-fA-F]{32}$/.test(template) ? template : undefined;
}
