import type { FakeMode } from "./fake-control.js";
import { FakeHttpServer, type FakeReply, type FakeRequest, header, mediaType } from "./fake-http-server.js";

/** A message the fake Slack workspace posted. */
export interface SlackPost {
  /** The webhook path it was posted to (`/services/T.../B.../...`). */
  hook: string;
  text?: string;
  blocks?: unknown[];
}

const HOOK_PATH = /^\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]+$/;

/** HTTP status Slack uses for each error word. */
const ERROR_STATUS: Record<string, number> = {
  invalid_payload: 400,
  no_text: 400,
  invalid_blocks: 400,
  invalid_token: 403,
  action_prohibited: 403,
  posting_to_general_channel_denied: 403,
  user_not_found: 404,
  channel_not_found: 404,
  no_service: 404,
  no_service_id: 400,
  channel_is_archived: 410,
  no_active_hooks: 410,
  team_disabled: 410,
};

/**
 * Slack incoming webhooks: POST JSON (or form `payload=`) to `/services/T.../B.../...`; answers
 * are plain-text words: `ok`, `invalid_payload`, `no_text`, `no_service`... Revoked hooks
 * answer `404 no_service`.
 */
export class FakeSlack extends FakeHttpServer<SlackPost> {
  private readonly revoked = new Set<string>();

  /** A webhook URL of this fake workspace. */
  hookUrl(team = "T0001", bot = "B0001", secret = "XXXXXXXXXXXXXXXXXXXXXXXX"): string {
    return `${this.url}/services/${team}/${bot}/${secret}`;
  }

  /** Makes a webhook URL answer `404 no_service`, as after its app was removed. */
  revoke(url: string): void {
    this.revoked.add(new URL(url).pathname);
  }

  protected handle(request: FakeRequest, mode: Exclude<FakeMode, { kind: "hang" }>): FakeReply {
    if (!HOOK_PATH.test(request.path) || this.revoked.has(request.path)) return word("no_service");
    if (request.method !== "POST") return word("invalid_payload");
    let document: unknown;
    try {
      const type = mediaType(request);
      if (type === "application/json") document = JSON.parse(request.body);
      else if (type === "application/x-www-form-urlencoded") {
        document = JSON.parse(new URLSearchParams(request.body).get("payload") ?? "");
      } else return word("invalid_payload");
    } catch {
      return word("invalid_payload");
    }
    if (typeof document !== "object" || document === null || Array.isArray(document))
      return word("invalid_payload");
    const { text, blocks } = document as { text?: unknown; blocks?: unknown };
    if (blocks !== undefined && !Array.isArray(blocks)) return word("invalid_blocks");
    if ((typeof text !== "string" || text === "") && !Array.isArray(blocks)) return word("no_text");
    switch (mode.kind) {
      case "ok":
        this.record(header(request, "idempotency-key") ?? "", {
          hook: request.path,
          ...(typeof text === "string" ? { text } : {}),
          ...(Array.isArray(blocks) ? { blocks } : {}),
        });
        return { status: 200, body: "ok" };
      case "rateLimited":
        return { status: 429, headers: { "retry-after": String(mode.retryAfterSec) }, body: "rate_limited" };
      case "serverError":
        return { status: 500, body: "rollup_error" };
      case "permanent":
        return word(mode.reason);
    }
  }
}

function word(error: string): FakeReply {
  return { status: ERROR_STATUS[error] ?? 400, body: error };
}

/** Starts a fake Slack workspace. */
export function startFakeSlack(): Promise<FakeSlack> {
  return new FakeSlack().listen();
}
