import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Twilio's request signature (X-Twilio-Signature), for the status-callback endpoint: base64 of
 * HMAC-SHA1, keyed by the auth token, over the full URL Twilio called followed by every POST
 * parameter as name + value, sorted by name (repeated names: values sorted too).
 */

export type TwilioParams = URLSearchParams | Readonly<Record<string, string | readonly string[]>>;

/** The X-Twilio-Signature Twilio would send for this URL and these POST parameters. */
export function twilioSignature(authToken: string, url: string, params: TwilioParams): string {
  const pairs: [string, string][] = [];
  if (params instanceof URLSearchParams) {
    for (const [name, value] of params) pairs.push([name, value]);
  } else {
    for (const [name, value] of Object.entries(params)) {
      for (const item of typeof value === "string" ? [value] : value) pairs.push([name, item]);
    }
  }
  // Code-unit order, as Twilio's own libraries sort.
  pairs.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  const hmac = createHmac("sha1", authToken).update(url);
  for (const [name, value] of pairs) hmac.update(name + value);
  return hmac.digest("base64");
}

/**
 * Whether `signatureHeader` is Twilio's signature of this request. The URL is also tried with
 * and without the default port, because proxies add or drop it and Twilio's libraries accept both.
 */
export function verifyTwilioSignature(
  authToken: string,
  url: string,
  params: TwilioParams,
  signatureHeader: string | undefined,
): boolean {
  if (!signatureHeader) return false;
  const actual = Buffer.from(signatureHeader);
  for (const candidate of urlVariants(url)) {
    const expected = Buffer.from(twilioSignature(authToken, candidate, params));
    if (expected.length === actual.length && timingSafeEqual(expected, actual)) return true;
  }
  return false;
}

function urlVariants(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [url];
  }
  const defaultPort = parsed.protocol === "https:" ? "443" : parsed.protocol === "http:" ? "80" : undefined;
  if (defaultPort === undefined) return [url];
  const hostMatch = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/i.exec(url);
  if (!hostMatch) return [url];
  const [, scheme = "", authority = "", rest = ""] = hostMatch;
  const withoutPort = authority.replace(new RegExp(`:${defaultPort}$`), "");
  const withPort = /:\d+$/.test(withoutPort) ? withoutPort : `${withoutPort}:${defaultPort}`;
  return [...new Set([url, `${scheme}${withoutPort}${rest}`, `${scheme}${withPort}${rest}`])];
}
