import { randomBytes } from "node:crypto";
import type { FakeMode } from "./fake-control.js";
import { FakeHttpServer, type FakeReply, type FakeRequest, header, mediaType } from "./fake-http-server.js";

/** A message the fake Twilio account accepted. */
export interface TwilioMessage {
  sid: string;
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body?: string;
  contentSid?: string;
  /** ContentVariables, parsed. */
  contentVariables?: Record<string, unknown>;
  mediaUrls: string[];
  statusCallback?: string;
}

export interface FakeTwilioOptions {
  accountSid?: string;
  authToken?: string;
}

export const FAKE_TWILIO_ACCOUNT_SID = `AC${"0123456789abcdef".repeat(2)}`;
export const FAKE_TWILIO_AUTH_TOKEN = "fake-twilio-auth-token";

/** Messages of Twilio's documented error codes, for `permanent(code)`. */
const ERRORS: Record<number, { status: number; message: string }> = {
  20003: { status: 401, message: "Authenticate" },
  20404: { status: 404, message: "The requested resource was not found" },
  21211: { status: 400, message: "Invalid 'To' Phone Number" },
  21408: {
    status: 400,
    message: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
  },
  21602: { status: 400, message: "Message body is required." },
  21603: { status: 400, message: "A 'From' phone number is required." },
  21604: { status: 400, message: "A 'To' phone number is required." },
  21606: {
    status: 400,
    message:
      "The 'From' phone number provided is not a valid message-capable Twilio phone number for this destination/account",
  },
  21609: { status: 400, message: "Invalid StatusCallback" },
  21610: { status: 400, message: "Attempt to send to unsubscribed recipient" },
  21614: { status: 400, message: "'To' number is not a valid mobile number" },
  21617: { status: 400, message: "The concatenated message body exceeds the 1600 character limit." },
  21655: { status: 400, message: "The ContentSid is Invalid." },
  21656: { status: 400, message: "The ContentVariables Parameter is invalid." },
  21701: { status: 400, message: "The Messaging Service Sid is invalid." },
  21910: { status: 400, message: "Invalid From and To pair. From and To should be of the same channel" },
  63016: {
    status: 400,
    message: "Failed to send freeform message because you are outside the allowed window.",
  },
};

const E164 = /^\+[1-9]\d{1,14}$/;

/**
 * Twilio's Messages API for one account: `POST /2010-04-01/Accounts/{sid}/Messages.json`, Basic
 * auth, form parameters checked as Twilio does, errors as Twilio's `{ code, message, more_info,
 * status }` documents, a `201` Message resource on success.
 */
export class FakeTwilio extends FakeHttpServer<TwilioMessage> {
  readonly accountSid: string;
  readonly authToken: string;

  constructor(options: FakeTwilioOptions = {}) {
    super();
    this.accountSid = options.accountSid ?? FAKE_TWILIO_ACCOUNT_SID;
    this.authToken = options.authToken ?? FAKE_TWILIO_AUTH_TOKEN;
  }

  protected handle(request: FakeRequest, mode: Exclude<FakeMode, { kind: "hang" }>): FakeReply {
    const expected = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString("base64")}`;
    if (header(request, "authorization") !== expected) return error(20003);
    const path = `/2010-04-01/Accounts/${this.accountSid}/Messages.json`;
    if (request.path !== path) return error(20404, `The requested resource ${request.path} was not found`);
    if (request.method !== "POST")
      return { status: 405, body: twilioError(20004, "Method not allowed", 405) };
    // Twilio reads form parameters only; a JSON body looks like a request without parameters.
    const params =
      mediaType(request) === "application/x-www-form-urlencoded"
        ? new URLSearchParams(request.body)
        : new URLSearchParams();
    const invalid = validate(params);
    if (invalid) return invalid;
    switch (mode.kind) {
      case "ok":
        return this.accept(request, params);
      case "rateLimited":
        return {
          status: 429,
          headers: { "retry-after": String(mode.retryAfterSec) },
          body: twilioError(20429, "Too Many Requests", 429),
        };
      case "serverError":
        return { status: 500, body: twilioError(20500, "Internal Server Error", 500) };
      case "permanent":
        return error(Number(mode.reason) || 21211, undefined, params.get("To") ?? undefined);
    }
  }

  private accept(request: FakeRequest, params: URLSearchParams): FakeReply {
    const sid = `SM${randomBytes(16).toString("hex")}`;
    const variables = params.get("ContentVariables");
    const message: TwilioMessage = {
      sid,
      to: params.get("To") ?? "",
      mediaUrls: params.getAll("MediaUrl"),
      ...optional("from", params.get("From")),
      ...optional("messagingServiceSid", params.get("MessagingServiceSid")),
      ...optional("body", params.get("Body")),
      ...optional("contentSid", params.get("ContentSid")),
      ...optional("statusCallback", params.get("StatusCallback")),
      ...(variables !== null ? { contentVariables: JSON.parse(variables) as Record<string, unknown> } : {}),
    };
    this.record(header(request, "i-twilio-idempotency-token") ?? "", message);
    const now = new Date().toUTCString().replace("GMT", "+0000");
    return {
      status: 201,
      body: {
        account_sid: this.accountSid,
        api_version: "2010-04-01",
        body: message.body ?? "",
        date_created: now,
        date_sent: null,
        date_updated: now,
        direction: "outbound-api",
        error_code: null,
        error_message: null,
        from: message.from ?? null,
        messaging_service_sid: message.messagingServiceSid ?? null,
        num_media: String(message.mediaUrls.length),
        num_segments: "1",
        price: null,
        price_unit: "USD",
        sid,
        status: message.messagingServiceSid ? "accepted" : "queued",
        subresource_uris: { media: `/2010-04-01/Accounts/${this.accountSid}/Messages/${sid}/Media.json` },
        to: message.to,
        uri: `/2010-04-01/Accounts/${this.accountSid}/Messages/${sid}.json`,
      },
    };
  }
}

function validate(params: URLSearchParams): FakeReply | undefined {
  const to = params.get("To");
  if (!to) return error(21604);
  const from = params.get("From");
  const service = params.get("MessagingServiceSid");
  if (!from && !service) return error(21603);
  if (service && !/^MG[0-9a-fA-F]{32}$/.test(service))
    return error(21701, `The Messaging Service Sid ${service} is invalid.`);
  const whatsappTo = to.startsWith("whatsapp:");
  if (!E164.test(whatsappTo ? to.slice("whatsapp:".length) : to)) return error(21211, undefined, to);
  if (from && whatsappTo !== from.startsWith("whatsapp:")) return error(21910);
  const body = params.get("Body");
  const contentSid = params.get("ContentSid");
  if (!body && !contentSid && !params.has("MediaUrl")) return error(21602);
  if (body && body.length > 1600) return error(21617);
  if (contentSid && !/^HX[0-9a-fA-F]{32}$/.test(contentSid)) return error(21655);
  const variables = params.get("ContentVariables");
  if (variables !== null) {
    try {
      const parsed: unknown = JSON.parse(variables);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return error(21656);
    } catch {
      return error(21656);
    }
  }
  const callback = params.get("StatusCallback");
  if (callback !== null && !/^https?:\/\/[^\s/]+/.test(callback)) return error(21609);
  return undefined;
}

function error(code: number, message?: string, to?: string): FakeReply {
  const known = ERRORS[code] ?? { status: 400, message: `Error ${code}` };
  const text = message ?? (code === 21211 && to ? `${known.message}: ${to}` : known.message);
  return { status: known.status, body: twilioError(code, text, known.status) };
}

function twilioError(code: number, message: string, status: number): object {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

function optional<K extends string>(key: K, value: string | null): { [P in K]?: string } {
  return (value === null ? {} : { [key]: value }) as { [P in K]?: string };
}

/** Starts a fake Twilio account. */
export function startFakeTwilio(options: FakeTwilioOptions = {}): Promise<FakeTwilio> {
  return new FakeTwilio(options).listen();
}
