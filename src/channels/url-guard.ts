import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { UrlRefusedError } from "./errors.js";

/**
 * The outgoing URL check. Webhook targets, Slack URLs and provider base URLs are chosen by API
 * users, so without a check a journey could make the server call its own admin ports or the
 * cloud metadata service (SSRF). Hostnames are resolved and every address is checked, because a
 * public name can point at a private address.
 *
 * The HTTP client resolves the name again when it connects: the providers' connection pool checks
 * that resolution too (pinned-agent.ts), so a DNS answer that changes in between (rebinding) is
 * refused; redirects are never followed. SMTP opens its pooled connections through the same
 * checked resolution (smtp-socket.ts).
 */

/** Resolves a hostname to all its addresses (dns.lookup with `all: true` by default). */
export type LookupAddresses = (hostname: string) => Promise<readonly { address: string; family: number }[]>;

export interface UrlGuardOptions {
  allowPrivateUrls: boolean;
  now: () => number;
  lookup?: LookupAddresses;
  /** How long a hostname's verdict is reused, so the hot path does not resolve on every message. */
  cacheMs?: number;
}

const CACHE_ENTRIES = 1000;

/** Checks outgoing URLs; one per provider instance (it caches verdicts per hostname). */
export class UrlGuard {
  private readonly verdicts = new Map<string, { until: number; reason: string | undefined }>();
  private readonly lookup: LookupAddresses;
  private readonly cacheMs: number;

  constructor(private readonly options: UrlGuardOptions) {
    this.lookup = options.lookup ?? ((hostname) => lookup(hostname, { all: true }));
    this.cacheMs = options.cacheMs ?? 30_000;
  }

  /**
   * Returns the parsed URL when it may be called; throws UrlRefusedError when it may not. A
   * failed DNS lookup is rethrown as is: it may be transient, so callers treat it as retryable.
   */
  async check(target: string | URL): Promise<URL> {
    const text = String(target);
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new UrlRefusedError(text, "not a valid URL");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new UrlRefusedError(text, `scheme ${url.protocol} is not allowed (http or https only)`);
    }
    if (this.options.allowPrivateUrls) return url;
    const reason = await this.hostReason(url.hostname);
    if (reason !== undefined) throw new UrlRefusedError(redactUrl(url), reason);
    return url;
  }

  /** Checks a bare host (SMTP): throws UrlRefusedError for a private one. */
  async checkHost(host: string): Promise<void> {
    if (this.options.allowPrivateUrls) return;
    const reason = await this.hostReason(host);
    if (reason !== undefined) throw new UrlRefusedError(host, reason);
  }

  private async hostReason(hostname: string): Promise<string | undefined> {
    const host = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
    if (isIP(host) !== 0) {
      const reason = privateAddressReason(host);
      return reason === undefined ? undefined : `${host} is ${reason}`;
    }
    const now = this.options.now();
    const cached = this.verdicts.get(host);
    if (cached && cached.until > now) return cached.reason;
    const addresses = await this.lookup(host);
    let reason: string | undefined = addresses.length === 0 ? `${host} has no address` : undefined;
    for (const { address } of addresses) {
      const why = privateAddressReason(address);
      if (why !== undefined) {
        reason = `${host} resolves to ${address}, ${why}`;
        break;
      }
    }
    if (this.verdicts.size >= CACHE_ENTRIES) {
      const oldest = this.verdicts.keys().next();
      if (!oldest.done) this.verdicts.delete(oldest.value);
    }
    this.verdicts.set(host, { until: now + this.cacheMs, reason });
    return reason;
  }
}

/** The URL without credentials, query or fragment: safe to put in an error stored in the outbox. */
export function redactUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

type Range = readonly [base: number, bits: number, reason: string];

const IPV4_RANGES: readonly Range[] = [
  [ipv4(0, 0, 0, 0), 8, "an unspecified address (0.0.0.0/8)"],
  [ipv4(10, 0, 0, 0), 8, "a private address (10.0.0.0/8)"],
  [ipv4(100, 64, 0, 0), 10, "a shared carrier-grade NAT address (100.64.0.0/10)"],
  [ipv4(127, 0, 0, 0), 8, "a loopback address (127.0.0.0/8)"],
  [ipv4(169, 254, 0, 0), 16, "a link-local address (169.254.0.0/16)"],
  [ipv4(172, 16, 0, 0), 12, "a private address (172.16.0.0/12)"],
  [ipv4(192, 0, 0, 0), 24, "an IETF protocol address (192.0.0.0/24)"],
  [ipv4(192, 168, 0, 0), 16, "a private address (192.168.0.0/16)"],
  [ipv4(198, 18, 0, 0), 15, "a benchmarking address (198.18.0.0/15)"],
  [ipv4(224, 0, 0, 0), 4, "a multicast address (224.0.0.0/4)"],
  [ipv4(240, 0, 0, 0), 4, "a reserved address (240.0.0.0/4)"],
];

function ipv4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/** Why an IP address may not be called (loopback, private, link-local...), or undefined for a public one. */
export function privateAddressReason(address: string): string | undefined {
  const v4 = parseIPv4(address);
  if (v4 !== undefined) return ipv4Reason(v4);
  const groups = parseIPv6(address);
  if (groups === undefined) return "not an IP address";
  return ipv6Reason(groups);
}

function ipv4Reason(value: number): string | undefined {
  for (const [base, bits, reason] of IPV4_RANGES) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if ((value & mask) >>> 0 === base) return reason;
  }
  return undefined;
}

function ipv6Reason(g: readonly number[]): string | undefined {
  const at = (i: number): number => g[i] ?? 0;
  const zeroUpTo = (n: number): boolean => g.slice(0, n).every((x) => x === 0);
  const embedded = (hi: number, lo: number): number => ((at(hi) << 16) | at(lo)) >>> 0;
  if (zeroUpTo(8)) return "the unspecified address (::)";
  if (zeroUpTo(7) && at(7) === 1) return "a loopback address (::1)";
  // Addresses that carry an IPv4 address reach that IPv4 host: judge them by it.
  if (zeroUpTo(5) && at(5) === 0xffff) return ipv4Reason(embedded(6, 7));
  if (zeroUpTo(6)) return ipv4Reason(embedded(6, 7));
  if (at(0) === 0x64 && at(1) === 0xff9b && g.slice(2, 6).every((x) => x === 0))
    return ipv4Reason(embedded(6, 7));
  if (at(0) === 0x2002) return ipv4Reason(embedded(1, 2));
  if ((at(0) & 0xfe00) === 0xfc00) return "a unique local address (fc00::/7)";
  if ((at(0) & 0xffc0) === 0xfe80) return "a link-local address (fe80::/10)";
  if ((at(0) & 0xffc0) === 0xfec0) return "a site-local address (fec0::/10)";
  if ((at(0) & 0xff00) === 0xff00) return "a multicast address (ff00::/8)";
  return undefined;
}

function parseIPv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

/** Parses an IPv6 address (with `::`, an optional embedded IPv4 tail and zone id) into 8 groups. */
function parseIPv6(text: string): number[] | undefined {
  let s = text.split("%")[0] ?? "";
  const lastColon = s.lastIndexOf(":");
  if (lastColon < 0) return undefined;
  const tail = s.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v4 = parseIPv4(tail);
    if (v4 === undefined) return undefined;
    s = `${s.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const split = (part: string | undefined): string[] => (part ? part.split(":") : []);
  const head = split(halves[0]);
  const rest = split(halves[1]);
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const words = halves.length === 1 ? head : [...head, ...Array<string>(missing).fill("0"), ...rest];
  const groups: number[] = [];
  for (const word of words) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(word)) return undefined;
    groups.push(Number.parseInt(word, 16));
  }
  return groups;
}
