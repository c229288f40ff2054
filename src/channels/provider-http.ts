import type { Dispatcher } from "undici";
import { UrlRefusedError } from "./errors.js";
import { describeError, permanent, retry, sent } from "./outcome.js";
import type { SendOutcome } from "./provider.js";
import { retryDelay } from "./retry-after.js";
import type { UrlGuard } from "./url-guard.js";

/**
 * One HTTP call of a provider: URL guard, timeout joined with the caller's signal, no redirects,
 * bounded response body. Transport failures come back as outcomes, so provider code only
 * classifies replies.
 *
 * Calls go through undici's `request` on a pooled agent rather than `fetch`: fetch builds WHATWG
 * streams, Request/Response objects and an abort controller that it tracks through a WeakRef and
 * a FinalizationRegistry (as do `AbortSignal.timeout` and `AbortSignal.any`). V8's young-generation
 * collections keep whatever a WeakRef reaches, so every call's objects outlived the scavenges
 * that met them: at 5,000 events/s with 250 webhooks a second, a third of the bytes surviving
 * scavenges in the engine's process were fetch's (docs/benchmarks.md, change 14).
 */

export interface HttpCall {
  url: string | URL;
  /** Default POST. */
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Reply headers, read by lower-case or any-case name. */
export interface ReplyHeaders {
  get(name: string): string | null;
}

export interface HttpReply {
  status: number;
  headers: ReplyHeaders;
  /** The body, cut at MAX_REPLY_BYTES: enough for any error document, bounded against hostile targets. */
  text: string;
}

export type HttpResult = { ok: true; reply: HttpReply } | { ok: false; outcome: SendOutcome };

export interface ProviderHttpOptions {
  /** The connection pool (pinned-agent.ts). */
  dispatcher: Dispatcher;
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
    if (signal.aborted) return { ok: false, outcome: aborted(url, signal) };
    // One controller for both ends (the caller's signal, the timeout), released when the call is.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeoutMs);
    timer.unref(); // as AbortSignal.timeout's: a pending call never keeps the process up on its own
    const onAbort = (): void => controller.abort();
    signal.addEventListener("abort", onAbort);
    try {
      // No redirect is followed (undici's request never does): one could lead past the URL guard.
      const response = await this.options.dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: (call.method ?? "POST") as Dispatcher.HttpMethod,
        headers: call.headers,
        body: call.body,
        signal: controller.signal,
      });
      const text = await readBounded(response.body);
      return {
        ok: true,
        reply: { status: response.statusCode, headers: replyHeaders(response.headers), text },
      };
    } catch (error) {
      if (timedOut) {
        return {
          ok: false,
          outcome: retry(`no answer from ${url.host} within ${this.options.timeoutMs} ms`),
        };
      }
      if (signal.aborted) return { ok: false, outcome: aborted(url, signal) };
      const cause = error instanceof Error ? (error as { cause?: unknown }).cause : undefined;
      // The connection's own resolution was refused (pinned-agent.ts): as final as the guard's.
      if (error instanceof UrlRefusedError) return { ok: false, outcome: permanent(error.message) };
      if (cause instanceof UrlRefusedError) return { ok: false, outcome: permanent(cause.message) };
      // The request itself cannot be sent (a header the HTTP client refuses): retrying cannot help.
      const code = (error as { code?: unknown }).code;
      if (code === "UND_ERR_INVALID_ARG" || code === "UND_ERR_NOT_SUPPORTED")
        return { ok: false, outcome: permanent(`cannot call ${url.host}: ${describeError(error)}`) };
      return { ok: false, outcome: retry(`network error calling ${url.host}: ${describeCause(error)}`) };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    }
  }
}

function aborted(url: URL, signal: AbortSignal): SendOutcome {
  return retry(`send to ${url.host} aborted: ${describeError(signal.reason)}`);
}

/** undici's header record (lower-case names; repeated headers as arrays) behind `get`. */
function replyHeaders(headers: Record<string, string | string[] | undefined>): ReplyHeaders {
  return {
    get(name) {
      const value = headers[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(", ") : value;
    },
  };
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

/** Reads the body up to MAX_REPLY_BYTES; a longer one is cut and its connection closed. */
async function readBounded(body: Dispatcher.ResponseData["body"]): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).byteLength;
    if (size >= MAX_REPLY_BYTES) {
      body.destroy();
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

/** Socket errors may come wrapped; the cause, when there is one, says what happened. */
function describeCause(error: unknown): string {
  const cause = error instanceof Error ? (error as { cause?: unknown }).cause : undefined;
  return describeError(cause ?? error);
}
