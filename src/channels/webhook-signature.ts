import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Signature of outgoing webhook calls, so receivers can check that a call comes from Journeys
 * and is recent: `X-Journeys-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`
 * with `X-Journeys-Timestamp` in epoch seconds. Signing the timestamp stops replays of old calls.
 */

export const SIGNATURE_HEADER = "X-Journeys-Signature";
export const TIMESTAMP_HEADER = "X-Journeys-Timestamp";

/** The X-Journeys-Signature value of a body sent at `timestamp` (epoch seconds). */
export function signWebhookBody(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** Whether a received call carries a valid signature no older than `toleranceSec` (default 5 minutes). */
export function verifyWebhookSignature(
  secret: string,
  signature: string | undefined,
  timestamp: string | undefined,
  body: string,
  nowMs: number,
  toleranceSec = 300,
): boolean {
  if (!signature || !timestamp || !/^\d+$/.test(timestamp)) return false;
  const seconds = Number(timestamp);
  if (Math.abs(nowMs / 1000 - seconds) > toleranceSec) return false;
  const expected = Buffer.from(signWebhookBody(secret, seconds, body));
  const actual = Buffer.from(signature);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
