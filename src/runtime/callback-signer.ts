import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Store } from "../store/types.js";

const SYSTEM = "_system";

/**
 * Signs what the server hands out to the outside world without an API key: callback URLs of
 * providers that have no signature scheme of their own, and open/click tracking links. The
 * secret is generated on first start and kept in the database.
 */
export class CallbackSigner {
  private constructor(private readonly secret: Buffer) {}

  static async load(store: Store): Promise<CallbackSigner> {
    const doc = await store.getDocument(SYSTEM, "secret", "callbacks");
    if (doc && typeof doc.value === "string") return new CallbackSigner(Buffer.from(doc.value, "base64url"));
    const secret = randomBytes(32);
    await store.putDocument(SYSTEM, "secret", "callbacks", { value: secret.toString("base64url") });
    return new CallbackSigner(secret);
  }

  private mac(text: string): string {
    return createHmac("sha256", this.secret).update(text).digest("base64url").slice(0, 32);
  }

  private same(a: string, b: string): boolean {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
  }

  /** The token a provider's callback URL carries (`?project=P&token=T`). */
  callbackToken(project: string, providerId: string): string {
    return this.mac(`callback\u001f${project}\u001f${providerId}`);
  }

  verifyCallback(project: string, providerId: string, token: string | undefined): boolean {
    return token !== undefined && this.same(token, this.callbackToken(project, providerId));
  }

  /** A tracking token naming one delivery: `base64url(project \u001f key).mac`. */
  trackingToken(project: string, idempotencyKey: string): string {
    const body = Buffer.from(`${project}\u001f${idempotencyKey}`).toString("base64url");
    return `${body}.${this.mac(`track\u001f${body}`)}`;
  }

  /** The delivery a tracking token names, or undefined when it was not signed here. */
  readTrackingToken(token: string): { project: string; idempotencyKey: string } | undefined {
    const dot = token.indexOf(".");
    if (dot <= 0) return undefined;
    const body = token.slice(0, dot);
    if (!this.same(token.slice(dot + 1), this.mac(`track\u001f${body}`))) return undefined;
    const [project, idempotencyKey] = Buffer.from(body, "base64url").toString().split("\u001f");
    return project && idempotencyKey ? { project, idempotencyKey } : undefined;
  }
}
