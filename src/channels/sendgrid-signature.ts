import { createPublicKey, type KeyObject, verify } from "node:crypto";

/**
 * SendGrid's Signed Event Webhook: each POST carries `X-Twilio-Email-Event-Webhook-Signature`,
 * base64 of a DER-encoded ECDSA P-256 / SHA-256 signature over the value of
 * `X-Twilio-Email-Event-Webhook-Timestamp` followed by the exact body bytes. The verification
 * key is the one SendGrid shows in its Event Webhook settings: base64 of a DER
 * SubjectPublicKeyInfo, without PEM armour.
 */

export const SENDGRID_SIGNATURE_HEADER = "x-twilio-email-event-webhook-signature";
export const SENDGRID_TIMESTAMP_HEADER = "x-twilio-email-event-webhook-timestamp";

/** How far a timestamp may be from now; a captured request replayed later is refused. */
export const SENDGRID_TOLERANCE_MS = 10 * 60 * 1000;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** Epoch seconds, as SendGrid sends them. */
const SECONDS = /^\d{1,12}$/;

/** The key, when the text is base64 DER of an EC P-256 public key; undefined otherwise. */
export function sendGridVerificationKey(base64: string): KeyObject | undefined {
  // Keys pasted from the settings page may arrive wrapped over several lines.
  const text = base64.replace(/\s+/g, "");
  if (!BASE64.test(text)) return undefined;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(text, "base64"), format: "der", type: "spki" });
  } catch {
    return undefined;
  }
  const p256 = key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1";
  return p256 ? key : undefined;
}

/** What a signed event POST carries: the two headers (absent when not sent) and the raw body. */
export interface SendGridSignedRequest {
  signature: string | undefined;
  timestamp: string | undefined;
  body: Buffer;
}

/**
 * Whether the request is signed by the holder of `verificationKey` (base64 DER) with a timestamp
 * within `toleranceMs` of `nowMs`. Every failure, malformed input included, is `false`.
 */
export function verifySendGridSignature(
  verificationKey: string,
  request: SendGridSignedRequest,
  nowMs: number,
  toleranceMs = SENDGRID_TOLERANCE_MS,
): boolean {
  const { signature, timestamp, body } = request;
  if (signature === undefined || timestamp === undefined) return false;
  if (!SECONDS.test(timestamp) || !BASE64.test(signature)) return false;
  if (Math.abs(nowMs - Number(timestamp) * 1000) > toleranceMs) return false;
  const key = sendGridVerificationKey(verificationKey);
  if (key === undefined) return false;
  const signed = Buffer.concat([Buffer.from(timestamp, "utf8"), body]);
  try {
    return verify("sha256", signed, { key, dsaEncoding: "der" }, Buffer.from(signature, "base64"));
  } catch {
    return false;
  }
}
