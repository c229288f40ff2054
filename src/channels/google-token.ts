import { asRecord } from "./content.js";
import { retry } from "./outcome.js";
import type { SendOutcome } from "./provider.js";
import { excerpt, type ProviderHttp, parseJson, statusOutcome } from "./provider-http.js";
import { type ServiceAccount, signAssertion } from "./service-account.js";

/**
 * OAuth 2.0 access tokens for a service account (JWT bearer grant), cached in the provider
 * instance until shortly before they expire. Concurrent sends share one refresh.
 */

export type TokenResult = { ok: true; token: string } | { ok: false; outcome: SendOutcome };

export interface GoogleTokenSourceOptions {
  account: ServiceAccount;
  scope: string;
  tokenUrl: string;
  http: ProviderHttp;
  now: () => number;
}

/** Refresh this long before expiry, so a token never expires between the check and the call. */
const REFRESH_MARGIN_MS = 60_000;

export class GoogleTokenSource {
  private cached: { token: string; refreshAt: number } | undefined;
  private pending: Promise<TokenResult> | undefined;

  constructor(private readonly options: GoogleTokenSourceOptions) {}

  /** A valid access token, from the cache or the token endpoint. */
  async token(): Promise<TokenResult> {
    const cached = this.cached;
    if (cached && cached.refreshAt > this.options.now()) return { ok: true, token: cached.token };
    if (!this.pending) {
      this.pending = this.fetchToken().finally(() => {
        this.pending = undefined;
      });
    }
    return this.pending;
  }

  /** Forgets `token` after the API refused it (401), unless a newer one already replaced it. */
  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  private async fetchToken(): Promise<TokenResult> {
    const { account, scope, tokenUrl, http, now } = this.options;
    const assertion = signAssertion(account, scope, tokenUrl, now());
    const body = new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      assertion,
    });
    // Not tied to one caller's signal: the refresh is shared by every waiting send.
    const result = await http.call(
      {
        url: tokenUrl,
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: body.toString(),
      },
      new AbortController().signal,
    );
    if (!result.ok) return { ok: false, outcome: prefix(result.outcome) };
    const { reply } = result;
    const document = asRecord(parseJson(reply.text));
    if (reply.status === 200 && document) {
      if (typeof document.access_token !== "string" || document.access_token === "") {
        return {
          ok: false,
          outcome: retry(`Google OAuth answered without access_token: ${excerpt(reply.text)}`),
        };
      }
      const lifetimeMs = (typeof document.expires_in === "number" ? document.expires_in : 3600) * 1000;
      const margin = Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2);
      this.cached = { token: document.access_token, refreshAt: now() + lifetimeMs - margin };
      return { ok: true, token: document.access_token };
    }
    // 400/401 (invalid_grant, invalid_client) mean the credentials are wrong: permanent until fixed.
    return { ok: false, outcome: prefix(statusOutcome(reply, now(), "Google OAuth token endpoint")) };
  }
}

function prefix(outcome: SendOutcome): SendOutcome {
  if (outcome.status === "sent") return retry("Google OAuth token endpoint answered without a token");
  return { ...outcome, error: `access token: ${outcome.error}` };
}
