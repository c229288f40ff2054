import { createPrivateKey, createSign } from "node:crypto";

/**
 * Google service-account credentials and the signed JWT (RFC 7523 / Google's OAuth 2.0 for
 * server-to-server applications) that is exchanged for an access token.
 */

export interface ServiceAccount {
  project_id: string;
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

export const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";

/** Keys pasted through shells or env files often arrive with literal `\n`: restore real newlines. */
export function normalizePem(pem: string): string {
  return pem.includes("\\n") ? pem.replace(/\\n/g, "\n") : pem;
}

/** Whether the text is a PEM private key Node can load. */
export function isPrivateKeyPem(pem: string): boolean {
  try {
    createPrivateKey(normalizePem(pem));
    return true;
  } catch {
    return false;
  }
}

/** Base64url of a string or buffer, without padding (JOSE encoding). */
export function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

/**
 * The RS256 JWT assertion for the token endpoint: `iss` the service account, `aud` the token
 * URL, `scope` what the token may do, valid one hour (Google's maximum).
 */
export function signAssertion(
  account: ServiceAccount,
  scope: string,
  audience: string,
  nowMs: number,
): string {
  const iat = Math.floor(nowMs / 1000);
  const header = {
    alg: "RS256",
    typ: "JWT",
    ...(account.private_key_id ? { kid: account.private_key_id } : {}),
  };
  const claims = { iss: account.client_email, scope, aud: audience, iat, exp: iat + 3600 };
  const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = createSign("RSA-SHA256").update(unsigned).sign(normalizePem(account.private_key));
  return `${unsigned}.${base64url(signature)}`;
}
