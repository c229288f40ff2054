import type { ReplyHeaders } from "./provider-http.js";

/**
 * Reading "come back later" hints. Retry-After is either delta-seconds or an HTTP-date
 * (RFC 9110 §10.2.3); some providers (SendGrid) send X-RateLimit-Reset instead.
 */

/** Milliseconds to wait from a Retry-After value, or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * Milliseconds to wait from an X-RateLimit-Reset value: epoch seconds when it looks like one
 * (SendGrid, GitHub), otherwise seconds from now.
 */
export function parseRateLimitReset(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined || !/^\d+(\.\d+)?$/.test(value.trim())) return undefined;
  const seconds = Number(value.trim());
  if (seconds > 1_000_000_000) return Math.max(0, Math.round(seconds * 1000 - now));
  return Math.round(seconds * 1000);
}

/** The wait a rate-limited reply asks for: Retry-After first, then X-RateLimit-Reset. */
export function retryDelay(headers: ReplyHeaders, now: number): number | undefined {
  return (
    parseRetryAfter(headers.get("retry-after"), now) ??
    parseRateLimitReset(headers.get("x-ratelimit-reset"), now)
  );
}
