import { UrlRefusedError } from "./errors.js";
import { describeError, permanent, retry, sent } from "./outcome.js";
import type { SendOutcome } from "./provider.js";
import { retryDelay } from "./retry-after.js";
import type { UrlGuard } from "./url-guard.js";

/**
 * One HTTP call of a provider: URL guard, timeout joined with the caller's signal, no redirects,
 * bounded response body. Transport failures come back as outcomes, so provider code only
 * classifies replies.
 */

export interface HttpCall {
  url: string | URL;
  /** Default POST. */
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpReply {
  status: number;
  headers: Headers;
  /** The body, cut at MAX_REPLY_BYTES: enough for any error document, bounded against hostile targets. */
  text: string;
}

export type HttpResult = { ok: true; reply: HttpReply } | { ok: false; outcome: SendOutcome };

export interface ProviderHttpOptions {
  fetch: typeof fetch;
  guard: UrlGuard;
  timeoutMs: number;
  now: () => number;
}

const MAX_REPLY_BYTES = 64 * 1024;

/** Makes provider HTTP calls; one per provider instance. */
export class ProviderHttp {
  constructor(private readonly options: ProviderHttpOptions) {}

  get now(): number {
    return this.options.now();
  }

  /** Calls the URL; a refused URL is a permanent outcome, a network error or timeout a retry. */
  async call(call: HttpCall, signal: AbortSignal): Promise<HttpResult> {
    let url: URL;
    try {
      url = await this.options.guard.check(call.url);
    } catch (error) {
      if (error instanceof UrlRefusedError) return { ok: false, outcome: permanent(error.message) };
      return {
        ok: false,
        outcome: retry(`cannot resolve ${describeHost(call.url)}: ${describeError(error)}`),
      };
    }
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const combined = AbortSignal.any([signal, timeout]);
    try {
      const response = await this.options.fetch(url, {
        method: call.method ?? "POST",
        headers: call.headers,
        body: call.body,
        // A redirect could lead past the URL guard; providers never need one.
        redirect: "manual",
        signal: combined,
      });
      const text = await readBounded(response);
      return { ok: true, reply: { status: response.status, headers: response.headers, text } };
    } catch (error) {
      if (timeout.aborted) {
        return {
          ok: false,
          outcome: retry(`no answer from ${url.host} within ${this.options.timeoutMs} ms`),
        };
      }
      if (signal.aborted)
        return { ok: false, outcome: retry(`send to ${url.host} aborted: ${describeError(signal.reason)}`) };
      const cause = error instanceof Error ? (error as { cause?: unknown }).cause : undefined;
      // The connection's own resolution was refused (pinned-fetch.ts): as final as the guard's.
      if (cause instanceof UrlRefusedError) return { ok: false, outcome: permanent(cause.message) };
      return { ok: false, outcome: retry(`network error calling ${url.host}: ${describeCause(error)}`) };
    }
  }
}

/**
 * The usual meaning of a status for APIs without richer error codes: 2xx sent, 408/425/429/5xx
 * retry (honouring Retry-After), redirects and other 4xx permanent.
 */
export function statusOutcome(
  reply: HttpReply,
  now: number,
  what: string,
  providerMessageId?: string,
): SendOutcome {
  const { status } = reply;
  if (status >= 200 && status < 300) return sent(providerMessageId);
  const detail = `${what} answered ${status}${reply.text ? `: ${excerpt(reply.text)}` : ""}`;
  if (status === 408 || status === 425 || status === 429 || status >= 500)
    return retry(detail, retryDelay(reply.headers, now));
  if (status >= 300 && status < 400) {
    return permanent(
      `${what} answered ${status} (redirect to ${reply.headers.get("location") ?? "?"} not followed)`,
    );
  }
  return permanent(detail);
}

/** A reply body shortened for an error message. */
export function excerpt(text: string, max = 300): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max)}...` : line;
}

/** Parses a JSON reply body, or undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function readBounded(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= MAX_REPLY_BYTES) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, MAX_REPLY_BYTES).toString("utf8");
}

function describeHost(url: string | URL): string {
  try {
    return new URL(String(url)).host;
  } catch {
    return "the URL";
  }
}

/** fetch wraps socket errors in `TypeError: fetch failed`; the cause says what happened. */
function describeCause(error: unknown): string {
  const cause = error instanceof Error ? (error as { cause?: unknown }).cause : undefined;
  return describeError(cause ?? error);
}
