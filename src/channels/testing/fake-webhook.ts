import { verifyWebhookSignature } from "../webhook-signature.js";
import type { FakeMode } from "./fake-control.js";
import { FakeHttpServer, type FakeReply, type FakeRequest, header, mediaType } from "./fake-http-server.js";

/** A call the fake webhook receiver accepted. */
export interface WebhookCall {
  method: string;
  path: string;
  headers: FakeRequest["headers"];
  /** Parsed JSON when the call was JSON, else the raw text. */
  body: unknown;
}

export interface FakeWebhookOptions {
  /** When set, calls must carry a valid X-Journeys-Signature. */
  secret?: string;
  /**
   * Honour Idempotency-Key as a real idempotent API does: a repeated key gets the first reply
   * and is not recorded again (counted in `replays`).
   */
  idempotent?: boolean;
}

/**
 * A receiver of Journeys webhooks (and webhook actions) as a careful integrator would write it:
 * any path and method, an `Idempotency-Key` required, the signature checked when a secret is set,
 * JSON bodies must parse.
 */
export class FakeWebhook extends FakeHttpServer<WebhookCall> {
  /** Requests that repeated an already accepted key (only with `idempotent`). */
  replays = 0;

  constructor(private readonly options: FakeWebhookOptions = {}) {
    super();
  }

  protected handle(request: FakeRequest, mode: Exclude<FakeMode, { kind: "hang" }>): FakeReply {
    const key = header(request, "idempotency-key");
    if (!key) return { status: 400, body: { error: "missing Idempotency-Key header" } };
    if (this.options.secret !== undefined) {
      const valid = verifyWebhookSignature(
        this.options.secret,
        header(request, "x-journeys-signature"),
        header(request, "x-journeys-timestamp"),
        request.body,
        Date.now(),
      );
      if (!valid) return { status: 401, body: { error: "invalid signature" } };
    }
    let body: unknown = request.body;
    if (mediaType(request) === "application/json" && request.body !== "") {
      try {
        body = JSON.parse(request.body) as unknown;
      } catch {
        return { status: 400, body: { error: "body is not JSON" } };
      }
    }
    switch (mode.kind) {
      case "ok":
        if (this.options.idempotent && this.count(key) > 0) {
          this.replays++;
          return { status: 200, body: { id: `wh_replay_${key}` } };
        }
        this.record(key, { method: request.method, path: request.path, headers: request.headers, body });
        return { status: 200, body: { id: `wh_${this.accepted.length}` } };
      case "rateLimited":
        return {
          status: 429,
          headers: { "retry-after": String(mode.retryAfterSec) },
          body: { error: "slow down" },
        };
      case "serverError":
        return { status: 500, body: { error: "internal error" } };
      case "permanent": {
        const status = /^[45]\d\d$/.test(mode.reason) ? Number(mode.reason) : 422;
        return { status, body: { error: mode.reason } };
      }
    }
  }
}

/** Starts a fake webhook receiver. */
export function startFakeWebhook(options: FakeWebhookOptions = {}): Promise<FakeWebhook> {
  return new FakeWebhook(options).listen();
}
