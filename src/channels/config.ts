import { z } from "zod";
import type { Issue } from "../core/issue.js";
import type { Channel } from "../core/model.js";
import { fromZodIssues } from "../core/schema-issues.js";
import { sendGridVerificationKey } from "./sendgrid-signature.js";
import { isPrivateKeyPem } from "./service-account.js";

/**
 * Provider configurations: the body of `PUT /v1/providers/{id}` is `{ type, channel?, config }`,
 * a union discriminated by `type`. The API validates with `validateProviderBody` (issues carry
 * JSON paths such as `config.accountSid`) and redacts secrets with `redactSecrets` on GET.
 */

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });
const CHANNEL_NAMES = [
  "push",
  "email",
  "sms",
  "whatsapp",
  "slack",
  "webhook",
] as const satisfies readonly Channel[];
const anyChannel = z.enum(CHANNEL_NAMES);

/** Headers the provider sets itself: configured headers must not replace them. */
const RESERVED_HEADERS = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "idempotency-key",
  "x-journeys-signature",
  "x-journeys-timestamp",
]);
const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "not a valid header name")
  .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), "this header is set by Journeys");

export const WebhookConfigSchema = z.strictObject({
  /** Where `send` messages go; without it only `webhook` actions (which carry their own URL) can be sent. */
  url: httpUrl.optional(),
  /** Signs each body: `X-Journeys-Signature: sha256=HMAC(secret, timestamp + "." + body)`. */
  secret: z.string().min(16, "use at least 16 characters").optional(),
  /** Extra headers for `url` (not sent to webhook-action URLs, which the journey chooses). */
  headers: z.record(headerName, z.string().max(8192)).optional(),
});

export const SlackConfigSchema = z.strictObject({
  /** Incoming webhook URL; a user's `slack` address, when set, is used instead. */
  url: httpUrl.optional(),
});

export const TwilioConfigSchema = z
  .strictObject({
    accountSid: z
      .string()
      .regex(/^AC[0-9a-fA-F]{32}$/, "an Account SID looks like AC followed by 32 hex digits"),
    authToken: z.string().min(1),
    /** Sender for SMS: an E.164 number or an alphanumeric sender id. */
    from: z.string().min(1).optional(),
    /** Sender for WhatsApp (`+E164` or `whatsapp:+E164`); defaults to `from`. */
    whatsappFrom: z.string().min(1).optional(),
    /** Used instead of From when set (Twilio picks the sender). */
    messagingServiceSid: z
      .string()
      .regex(/^MG[0-9a-fA-F]{32}$/, "a Messaging Service SID looks like MG followed by 32 hex digits")
      .optional(),
    /** Twilio posts status updates here (the callbacks endpoint); the idempotency key is added as `journeysKey`. */
    statusCallback: httpUrl.optional(),
    baseUrl: httpUrl.optional(),
  })
  .refine(
    (c) => c.from !== undefined || c.whatsappFrom !== undefined || c.messagingServiceSid !== undefined,
    {
      message: "set from, whatsappFrom or messagingServiceSid",
      path: ["from"],
    },
  );

const emailAddress = z.email({ error: "not a valid email address" });

export const SendGridConfigSchema = z.strictObject({
  apiKey: z.string().min(1),
  from: z.union([emailAddress, z.strictObject({ email: emailAddress, name: z.string().min(1).optional() })]),
  replyTo: emailAddress.optional(),
  /** Mail settings sandbox mode: SendGrid validates and drops the message (staging). */
  sandbox: z.boolean().optional(),
  baseUrl: httpUrl.optional(),
  /**
   * The Signed Event Webhook's verification key (base64, from SendGrid's Event Webhook settings).
   * When set, event posts signed with it are accepted without the callback URL's token. A
   * public key: not redacted.
   */
  webhookVerificationKey: z
    .string()
    .refine(
      (key) => sendGridVerificationKey(key) !== undefined,
      "not an ECDSA P-256 public key in base64 (copy the verification key from SendGrid's Event Webhook settings)",
    )
    .optional(),
});

export const SmtpConfigSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure: z.boolean().optional(),
  requireTLS: z.boolean().optional(),
  auth: z.strictObject({ user: z.string().min(1), pass: z.string() }).optional(),
  /** `address@example.com` or `Name <address@example.com>`. */
  from: z.string().min(3),
  maxConnections: z.number().int().min(1).max(100).optional(),
});

/**
 * A Google service account as found in its JSON key file, so the file can be pasted as is
 * (unknown fields of the file are dropped), plus endpoint overrides for tests.
 */
const serviceAccountFields = {
  type: z.literal("service_account").optional(),
  project_id: z.string().min(1),
  client_email: emailAddress,
  private_key: z
    .string()
    .refine(isPrivateKeyPem, "not a PEM private key (copy private_key from the key file)"),
  private_key_id: z.string().optional(),
  token_uri: httpUrl.optional(),
  /** Overrides token_uri (tests, proxies). */
  tokenUrl: httpUrl.optional(),
  baseUrl: httpUrl.optional(),
};

export const FcmConfigSchema = z.object(serviceAccountFields);

export const GoogleSheetsConfigSchema = z.object({
  ...serviceAccountFields,
  spreadsheetId: z.string().regex(/^[A-Za-z0-9_-]+$/, "the id between /d/ and /edit in the sheet's URL"),
  /** A1 notation of the table to append to, such as `Sheet1` or `Deliveries!A:F`. */
  range: z.string().min(1).default("Sheet1"),
  /** USER_ENTERED parses numbers and dates like typing would; RAW stores strings as they are. */
  valueInputOption: z.enum(["USER_ENTERED", "RAW"]).default("USER_ENTERED"),
});

const typeError = {
  error: (issue: { code: string }) =>
    issue.code === "invalid_union"
      ? "type must be one of webhook, slack, twilio, sendgrid, smtp, fcm, google-sheets"
      : undefined,
};

/** The body of `PUT /v1/providers/{id}`. `channel` restricts the provider to one channel. */
export const ProviderBodySchema = z.discriminatedUnion(
  "type",
  [
    z.strictObject({
      type: z.literal("webhook"),
      channel: anyChannel.optional(),
      config: WebhookConfigSchema,
    }),
    z.strictObject({
      type: z.literal("slack"),
      channel: z.literal("slack").optional(),
      config: SlackConfigSchema,
    }),
    z.strictObject({
      type: z.literal("twilio"),
      channel: z.enum(["sms", "whatsapp"]).optional(),
      config: TwilioConfigSchema,
    }),
    z.strictObject({
      type: z.literal("sendgrid"),
      channel: z.literal("email").optional(),
      config: SendGridConfigSchema,
    }),
    z.strictObject({
      type: z.literal("smtp"),
      channel: z.literal("email").optional(),
      config: SmtpConfigSchema,
    }),
    z.strictObject({
      type: z.literal("fcm"),
      channel: z.literal("push").optional(),
      config: FcmConfigSchema,
    }),
    z.strictObject({
      type: z.literal("google-sheets"),
      channel: anyChannel.optional(),
      config: GoogleSheetsConfigSchema,
    }),
  ],
  typeError,
);

export type ProviderBody = z.output<typeof ProviderBodySchema>;
export type ProviderType = ProviderBody["type"];
/** A stored provider: its id plus the validated body. The input of `createProvider`. */
export type ProviderConfig = ProviderBody & { id: string };

export type WebhookConfig = z.output<typeof WebhookConfigSchema>;
export type SlackConfig = z.output<typeof SlackConfigSchema>;
export type TwilioConfig = z.output<typeof TwilioConfigSchema>;
export type SendGridConfig = z.output<typeof SendGridConfigSchema>;
export type SmtpConfig = z.output<typeof SmtpConfigSchema>;
export type FcmConfig = z.output<typeof FcmConfigSchema>;
export type GoogleSheetsConfig = z.output<typeof GoogleSheetsConfigSchema>;

export const PROVIDER_TYPES: readonly ProviderType[] = [
  "webhook",
  "slack",
  "twilio",
  "sendgrid",
  "smtp",
  "fcm",
  "google-sheets",
];

/** Validates a provider body; issues name JSON paths (`config.from`). */
export function validateProviderBody(
  body: unknown,
): { ok: true; value: ProviderBody } | { ok: false; issues: Issue[] } {
  const result = ProviderBodySchema.safeParse(body);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, issues: fromZodIssues(result.error.issues) };
}
