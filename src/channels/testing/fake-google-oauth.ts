import { createVerify, randomBytes } from "node:crypto";
import type { FakeMode } from "./fake-control.js";
import { bearer, FakeHttpServer, type FakeReply, type FakeRequest, mediaType } from "./fake-http-server.js";

/** An access token the fake issued. */
export interface IssuedToken {
  token: string;
  clientEmail: string;
  scopes: string[];
  expiresAt: number;
}

const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/** Google accepts this much clock difference on iat/exp. */
const SKEW_SEC = 300;

/**
 * Google's OAuth 2.0 token endpoint for service accounts (`POST /token`, JWT bearer grant): it
 * verifies the RS256 assertion with the account's public key and checks iss, aud, scope, iat and
 * exp, then issues a Bearer token that the FCM and Sheets fakes accept for its scopes.
 */
export class FakeGoogleOAuth extends FakeHttpServer<IssuedToken> {
  private readonly keys = new Map<string, string>();
  private readonly tokens = new Map<string, IssuedToken>();
  /** Lifetime of issued tokens in seconds (Google: 3599). */
  expiresIn = 3599;

  /** The URL to use as token_uri / tokenUrl. */
  get tokenUrl(): string {
    return `${this.url}/token`;
  }

  /** Trusts a service account's public key (SPKI PEM). */
  register(clientEmail: string, publicKeyPem: string): this {
    this.keys.set(clientEmail, publicKeyPem);
    return this;
  }

  /** Revokes every issued token, so the next API call with one gets 401. */
  revokeAll(): void {
    this.tokens.clear();
  }

  /** Undefined when the request carries a live token with `scope`, else Google's 401/403 reply. */
  authorize(request: FakeRequest, scope: string): FakeReply | undefined {
    const token = bearer(request);
    const issued = token === undefined ? undefined : this.tokens.get(token);
    if (!issued || issued.expiresAt <= Date.now()) {
      return googleError(
        401,
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
      );
    }
    if (!issued.scopes.includes(scope)) {
      return googleError(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.");
    }
    return undefined;
  }

  protected handle(request: FakeRequest, mode: Exclude<FakeMode, { kind: "hang" }>): FakeReply {
    if (request.path !== "/token" || request.method !== "POST") return { status: 404, body: "Not Found" };
    const params =
      mediaType(request) === "application/x-www-form-urlencoded"
        ? new URLSearchParams(request.body)
        : new URLSearchParams();
    const grantType = params.get("grant_type");
    if (grantType !== JWT_BEARER) {
      return oauthError(400, "unsupported_grant_type", `Invalid grant_type: ${grantType ?? ""}`);
    }
    const checked = this.checkAssertion(params.get("assertion") ?? "");
    if ("error" in checked) return checked.error;
    switch (mode.kind) {
      case "ok": {
        const token = `ya29.fake-${randomBytes(24).toString("base64url")}`;
        const issued = {
          token,
          clientEmail: checked.iss,
          scopes: checked.scopes,
          expiresAt: Date.now() + this.expiresIn * 1000,
        };
        this.tokens.set(token, issued);
        this.record(checked.iss, issued);
        return {
          status: 200,
          body: { access_token: token, expires_in: this.expiresIn, token_type: "Bearer" },
        };
      }
      case "rateLimited":
        return {
          status: 429,
          headers: { "retry-after": String(mode.retryAfterSec) },
          body: oauthError(429, "rate_limit_exceeded", "Rate limit exceeded").body,
        };
      case "serverError":
        return oauthError(503, "internal_failure", "Backend Error");
      case "permanent":
        return oauthError(400, mode.reason, "Refused by the fake token endpoint.");
    }
  }

  private checkAssertion(assertion: string): { iss: string; scopes: string[] } | { error: FakeReply } {
    const invalid = (description: string) => ({ error: oauthError(400, "invalid_grant", description) });
    const parts = assertion.split(".");
    if (parts.length !== 3) return invalid("Invalid JWT: malformed.");
    const [head = "", body = "", signature = ""] = parts;
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(head, "base64url").toString("utf8")) as Record<string, unknown>;
      claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Record<string, unknown>;
    } catch {
      return invalid("Invalid JWT: malformed.");
    }
    if (header.alg !== "RS256") return invalid("Invalid JWT: unsupported algorithm.");
    const iss = typeof claims.iss === "string" ? claims.iss : "";
    const key = this.keys.get(iss);
    if (key === undefined) return invalid("Invalid grant: account not found");
    const verified = createVerify("RSA-SHA256")
      .update(`${head}.${body}`)
      .verify(key, Buffer.from(signature, "base64url"));
    if (!verified) return invalid("Invalid JWT Signature.");
    if (claims.aud !== this.tokenUrl) return invalid("Invalid JWT: Failed audience check.");
    const now = Date.now() / 1000;
    const { iat, exp } = claims;
    if (
      typeof iat !== "number" ||
      typeof exp !== "number" ||
      exp - iat > 3600 ||
      exp < now - SKEW_SEC ||
      iat > now + SKEW_SEC
    ) {
      return invalid(
        "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
      );
    }
    const scopes = typeof claims.scope === "string" ? claims.scope.split(" ").filter((s) => s !== "") : [];
    if (scopes.length === 0)
      return {
        error: oauthError(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided."),
      };
    return { iss, scopes };
  }
}

/** Google's OAuth error document. */
function oauthError(status: number, error: string, description: string): FakeReply {
  return { status, body: { error, error_description: description } };
}

/** Google's API error document (google.rpc.Status). */
export function googleError(
  code: number,
  status: string,
  message: string,
  details: object[] = [],
): FakeReply {
  return {
    status: code,
    body: { error: { code, message, status, ...(details.length > 0 ? { details } : {}) } },
  };
}

/** Starts a fake Google token endpoint. */
export function startFakeGoogleOAuth(): Promise<FakeGoogleOAuth> {
  return new FakeGoogleOAuth().listen();
}
