import { randomBytes } from "node:crypto";
import type { FakeMode } from "./fake-control.js";
import { type FakeGoogleOAuth, googleError } from "./fake-google-oauth.js";
import { FakeHttpServer, type FakeReply, type FakeRequest, mediaType } from "./fake-http-server.js";

/** A push the fake FCM project accepted. */
export interface FcmPush {
  name: string;
  token: string;
  notification?: { title?: string; body?: string; image?: string };
  data: Record<string, string>;
}

export const FCM_MESSAGING_SCOPE = "https://www.googleapis.com/auth/firebase.messaging";

const FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError";
const BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest";
const MESSAGE_FIELDS = new Set([
  "name",
  "data",
  "notification",
  "android",
  "webpush",
  "apns",
  "fcm_options",
  "token",
  "topic",
  "condition",
]);
const NOTIFICATION_FIELDS = new Set(["title", "body", "image"]);
const TOKEN = /^[A-Za-z0-9_:-]{10,}$/;

/**
 * FCM HTTP v1 for one project: `POST /v1/projects/{project}/messages:send`, OAuth Bearer token
 * with the firebase.messaging scope (checked against the fake token endpoint), the message
 * checked as FCM does (one target, known fields, string data values, no reserved data keys),
 * errors as google.rpc.Status with FcmError details.
 */
export class FakeFcm extends FakeHttpServer<FcmPush> {
  private readonly unregistered = new Set<string>();

  constructor(
    private readonly oauth: FakeGoogleOAuth,
    readonly projectId: string,
  ) {
    super();
  }

  /** Makes a token answer 404 UNREGISTERED, as after the app was uninstalled. */
  unregister(token: string): void {
    this.unregistered.add(token);
  }

  protected handle(request: FakeRequest, mode: Exclude<FakeMode, { kind: "hang" }>): FakeReply {
    const match = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(request.path);
    if (!match || request.method !== "POST")
      return googleError(404, "NOT_FOUND", "Requested entity was not found.");
    const denied = this.oauth.authorize(request, FCM_MESSAGING_SCOPE);
    if (denied) return denied;
    if (match[1] !== this.projectId) {
      return googleError(
        403,
        "PERMISSION_DENIED",
        `Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/${match[1]}' (or it may not exist).`,
      );
    }
    if (mediaType(request) !== "application/json")
      return invalidArgument("Invalid JSON payload received. Expected a JSON object.");
    let body: unknown;
    try {
      body = JSON.parse(request.body);
    } catch {
      return invalidArgument("Invalid JSON payload received. Unexpected token.");
    }
    const checked = checkMessage(body);
    if ("error" in checked) return checked.error;
    const push = checked.push;
    if (this.unregistered.has(push.token)) return unregistered();
    switch (mode.kind) {
      case "ok": {
        const name = `projects/${this.projectId}/messages/0:${Date.now()}%${randomBytes(8).toString("hex")}`;
        this.record(push.data.idempotencyKey ?? "", { ...push, name });
        return { status: 200, body: { name } };
      }
      case "rateLimited": {
        const reply = googleError(429, "RESOURCE_EXHAUSTED", "Quota exceeded for sending messages.", [
          { "@type": FCM_ERROR, errorCode: "QUOTA_EXCEEDED" },
        ]);
        return { ...reply, headers: { "retry-after": String(mode.retryAfterSec) } };
      }
      case "serverError":
        return googleError(503, "UNAVAILABLE", "The service is currently unavailable.", [
          { "@type": FCM_ERROR, errorCode: "UNAVAILABLE" },
        ]);
      case "permanent":
        return permanentReply(mode.reason);
    }
  }
}

function checkMessage(body: unknown): { push: Omit<FcmPush, "name"> } | { error: FakeReply } {
  const root = record(body);
  if (!root) return { error: invalidArgument("Invalid JSON payload received. Expected a JSON object.") };
  for (const key of Object.keys(root)) {
    if (key !== "message" && key !== "validate_only") return { error: unknownField(key, "") };
  }
  const message = record(root.message);
  if (!message) return { error: invalidArgument("Request contains an invalid argument.", "message") };
  for (const key of Object.keys(message)) {
    if (!MESSAGE_FIELDS.has(key)) return { error: unknownField(key, "message") };
  }
  const targets = ["token", "topic", "condition"].filter((key) => message[key] !== undefined);
  if (targets.length !== 1)
    return { error: invalidArgument("Recipient of the message is not set.", "message") };
  const token = message.token;
  if (typeof token !== "string")
    return { error: invalidArgument("Only token targets are supported by this fake.", "message.token") };
  if (!TOKEN.test(token)) return { error: invalidToken() };
  const notification = message.notification === undefined ? undefined : record(message.notification);
  if (message.notification !== undefined && !notification) {
    return { error: invalidArgument("Invalid value at 'message.notification'", "message.notification") };
  }
  for (const [key, value] of Object.entries(notification ?? {})) {
    if (!NOTIFICATION_FIELDS.has(key)) return { error: unknownField(key, "message.notification") };
    if (typeof value !== "string") {
      return {
        error: invalidArgument(
          `Invalid value at 'message.notification.${key}' (TYPE_STRING)`,
          `message.notification.${key}`,
        ),
      };
    }
  }
  const data: Record<string, string> = {};
  const rawData = message.data === undefined ? {} : record(message.data);
  if (!rawData) return { error: invalidArgument("Invalid value at 'message.data'", "message.data") };
  let index = 0;
  for (const [key, value] of Object.entries(rawData)) {
    if (typeof value !== "string") {
      return {
        error: invalidArgument(
          `Invalid value at 'message.data[${index}].value' (TYPE_STRING), ${JSON.stringify(value)}`,
          `message.data[${index}].value`,
        ),
      };
    }
    if (key === "from" || key === "notification" || key === "message_type" || /^(google|gcm)/.test(key)) {
      return { error: invalidArgument(`Invalid data payload key: ${key}`, "message.data") };
    }
    data[key] = value;
    index++;
  }
  return {
    push: {
      token,
      data,
      ...(notification ? { notification: notification as FcmPush["notification"] } : {}),
    },
  };
}

function permanentReply(reason: string): FakeReply {
  switch (reason) {
    case "UNREGISTERED":
      return unregistered();
    case "INVALID_ARGUMENT":
      return invalidToken();
    case "SENDER_ID_MISMATCH":
      return googleError(403, "PERMISSION_DENIED", "SenderId mismatch", [
        { "@type": FCM_ERROR, errorCode: "SENDER_ID_MISMATCH" },
      ]);
    case "THIRD_PARTY_AUTH_ERROR":
      return googleError(401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service", [
        { "@type": FCM_ERROR, errorCode: "THIRD_PARTY_AUTH_ERROR" },
      ]);
    default:
      return invalidArgument(reason);
  }
}

function unregistered(): FakeReply {
  return googleError(404, "NOT_FOUND", "Requested entity was not found.", [
    { "@type": FCM_ERROR, errorCode: "UNREGISTERED" },
  ]);
}

function invalidToken(): FakeReply {
  return googleError(
    400,
    "INVALID_ARGUMENT",
    "The registration token is not a valid FCM registration token",
    [
      { "@type": FCM_ERROR, errorCode: "INVALID_ARGUMENT" },
      {
        "@type": BAD_REQUEST,
        fieldViolations: [{ field: "message.token", description: "Invalid registration token" }],
      },
    ],
  );
}

function invalidArgument(message: string, field?: string): FakeReply {
  return googleError(400, "INVALID_ARGUMENT", message, [
    { "@type": FCM_ERROR, errorCode: "INVALID_ARGUMENT" },
    ...(field ? [{ "@type": BAD_REQUEST, fieldViolations: [{ field, description: message }] }] : []),
  ]);
}

function unknownField(name: string, at: string): FakeReply {
  const where = at === "" ? "" : ` at '${at}'`;
  return googleError(
    400,
    "INVALID_ARGUMENT",
    `Invalid JSON payload received. Unknown name "${name}"${where}: Cannot find field.`,
    [
      {
        "@type": BAD_REQUEST,
        fieldViolations: [
          {
            field: at,
            description: `Invalid JSON payload received. Unknown name "${name}"${where}: Cannot find field.`,
          },
        ],
      },
    ],
  );
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Starts a fake FCM project whose tokens come from `oauth`. */
export function startFakeFcm(oauth: FakeGoogleOAuth, projectId: string): Promise<FakeFcm> {
  return new FakeFcm(oauth, projectId).listen();
}
