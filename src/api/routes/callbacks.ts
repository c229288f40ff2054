import type { FastifyInstance, FastifyRequest } from "fastify";
import {
  SENDGRID_SIGNATURE_HEADER,
  SENDGRID_TIMESTAMP_HEADER,
  verifySendGridSignature,
} from "../../channels/sendgrid-signature.js";
import { verifyTwilioSignature } from "../../channels/twilio-signature.js";
import type { Input } from "../../core/input.js";
import type { MessageStatus } from "../../core/model.js";
import type { DeliveryStatus } from "../../core/state.js";
import type { CallbackSigner } from "../../runtime/callback-signer.js";
import type { Engine } from "../../runtime/engine.js";
import { RequestError } from "../../runtime/errors.js";
import { PROVIDER_DOC, type ProviderDocument } from "../../runtime/provider-registry.js";
import type { StoredDelivery } from "../../store/types.js";

/** One receipt, whatever the provider's format. */
interface Receipt {
  key: string | undefined;
  status: MessageStatus;
  error?: string;
  unsubscribe?: boolean;
}

const GIF = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");

/** Twilio MessageStatus → engagement. `sent`/`queued` say nothing new. */
const TWILIO: Record<string, MessageStatus | undefined> = {
  delivered: "delivered",
  read: "opened",
  undelivered: "failed",
  failed: "failed",
};
/** SendGrid event → engagement. */
const SENDGRID: Record<string, MessageStatus | undefined> = {
  delivered: "delivered",
  open: "opened",
  click: "clicked",
  bounce: "failed",
  dropped: "failed",
};
const STATUS_OF: Record<MessageStatus, DeliveryStatus> = {
  delivered: "delivered",
  opened: "delivered",
  clicked: "delivered",
  failed: "failed",
};

/**
 * Provider callbacks (`POST /v1/callbacks/{provider}?project=P[&token=T]`) and open/click
 * tracking (`/v1/t/o/{token}`, `/v1/t/c/{token}?u=URL`). Each verified receipt updates its
 * delivery and becomes a `message.*` input for the instance that sent it. A callback is
 * verified by the URL's token, Twilio's `X-Twilio-Signature`, or SendGrid's signed event
 * webhook when the provider has a `webhookVerificationKey`.
 */
export function callbackRoutes(
  app: FastifyInstance,
  engine: Engine,
  signer: CallbackSigner,
  publicUrl: string | undefined,
): void {
  // A scope of its own: only this route takes form bodies (Twilio's status callbacks) and keeps
  // the raw JSON bytes that SendGrid signs; every other route accepts JSON only.
  void app.register(async (scope) => {
    scope.addContentTypeParser(
      "application/x-www-form-urlencoded",
      { parseAs: "string", bodyLimit: 64 * 1024 },
      (_req, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)));
      },
    );
    const rawBodies = new WeakMap<FastifyRequest, Buffer>();
    const parseJson = scope.getDefaultJsonParser(
      scope.initialConfig.onProtoPoisoning ?? "error",
      scope.initialConfig.onConstructorPoisoning ?? "error",
    );
    // No bodyLimit of its own: the server's limit bounds these bodies as it bounds every other.
    scope.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
      const bytes = body as Buffer;
      rawBodies.set(request, bytes);
      parseJson(request, bytes.toString("utf8"), done);
    });

    scope.post("/v1/callbacks/:provider", async (request, reply) => {
      const providerId = String((request.params as { provider: string }).provider);
      const query = request.query as Record<string, string | undefined>;
      const project = query.project;
      if (!project)
        throw new RequestError(400, "INVALID", "the callback URL needs ?project=", "query.project");
      const doc = (await engine.store.getDocument(project, PROVIDER_DOC, providerId)) as
        | ProviderDocument
        | undefined;
      if (!doc) throw new RequestError(404, "NOT_FOUND", `provider ${providerId} not found`);
      const trusted =
        verify(request, doc, project, providerId, signer, publicUrl) ||
        verifySendGridEvents(request, doc, rawBodies.get(request), engine.clock.now());
      if (!trusted) {
        throw new RequestError(401, "BAD_SIGNATURE", "callback signature or token does not verify");
      }
      const receipts = parseReceipts(doc.type, request.body, query);
      const applied = await apply(engine, project, receipts);
      return reply.status(200).send({ received: receipts.length, applied });
    });
  });

  app.get("/v1/t/o/:token", async (request, reply) => {
    await track(engine, signer, (request.params as { token: string }).token.replace(/\.gif$/, ""), "opened");
    return reply.header("cache-control", "no-store").type("image/gif").send(GIF);
  });

  app.get("/v1/t/c/:token", async (request, reply) => {
    const target = (request.query as { u?: string }).u;
    if (!target || !/^https?:\/\//i.test(target))
      throw new RequestError(400, "INVALID", "u must be an http(s) URL", "query.u");
    await track(engine, signer, (request.params as { token: string }).token, "clicked");
    return reply.redirect(target, 302);
  });
}

function verify(
  request: FastifyRequest,
  doc: ProviderDocument,
  project: string,
  providerId: string,
  signer: CallbackSigner,
  publicUrl: string | undefined,
): boolean {
  const query = request.query as Record<string, string | undefined>;
  if (signer.verifyCallback(project, providerId, query.token)) return true;
  if (doc.type === "twilio") {
    const url = `${publicUrl ?? `${request.protocol}://${request.headers.host}`}${request.url}`;
    const params = (request.body ?? {}) as Record<string, string>;
    return verifyTwilioSignature(doc.config.authToken, url, params, header(request, "x-twilio-signature"));
  }
  return false;
}

/** SendGrid's Signed Event Webhook, for a provider configured with its verification key. */
function verifySendGridEvents(
  request: FastifyRequest,
  doc: ProviderDocument,
  rawBody: Buffer | undefined,
  nowMs: number,
): boolean {
  if (doc.type !== "sendgrid" || doc.config.webhookVerificationKey === undefined || rawBody === undefined)
    return false;
  const signed = {
    signature: header(request, SENDGRID_SIGNATURE_HEADER),
    timestamp: header(request, SENDGRID_TIMESTAMP_HEADER),
    body: rawBody,
  };
  return verifySendGridSignature(doc.config.webhookVerificationKey, signed, nowMs);
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseReceipts(type: string, body: unknown, query: Record<string, string | undefined>): Receipt[] {
  if (type === "twilio") {
    const form = (body ?? {}) as Record<string, string>;
    const status = TWILIO[form.MessageStatus ?? ""];
    if (!status) return [];
    const code = form.ErrorCode;
    return [
      {
        key: query.journeysKey,
        status,
        ...(code ? { error: `Twilio error ${code}`, unsubscribe: code === "21610" || code === "21211" } : {}),
      },
    ];
  }
  const items = Array.isArray(body) ? body : [body];
  const receipts: Receipt[] = [];
  for (const item of items) {
    if (item === null || typeof item !== "object") continue;
    const event = item as Record<string, unknown>;
    const key = typeof event.idempotencyKey === "string" ? event.idempotencyKey : undefined;
    if (type === "sendgrid") {
      const status = SENDGRID[String(event.event)];
      if (status)
        receipts.push({
          key,
          status,
          ...(event.type === "bounce" || event.event === "bounce"
            ? { unsubscribe: true, error: String(event.reason ?? "bounce") }
            : {}),
        });
      continue;
    }
    const status = String(event.status) as MessageStatus;
    if (status in STATUS_OF)
      receipts.push({ key, status, ...(typeof event.error === "string" ? { error: event.error } : {}) });
  }
  return receipts;
}

async function apply(engine: Engine, project: string, receipts: readonly Receipt[]): Promise<number> {
  const inputs: Input[] = [];
  const now = engine.clock.now();
  let applied = 0;
  for (const receipt of receipts) {
    if (!receipt.key) continue;
    const delivery = await engine.store.findDeliveryByKey(receipt.key);
    if (!delivery || delivery.project !== project) continue;
    applied++;
    const status = STATUS_OF[receipt.status];
    // Engagement never walks a delivery back from delivered to sent; failures after delivery are kept as failed.
    if (delivery.status !== status) {
      await engine.store.updateDeliveries([
        {
          id: delivery.id,
          status,
          updatedAt: now,
          ...(receipt.error ? { lastError: receipt.error, reason: receipt.error } : {}),
        },
      ]);
    }
    inputs.push(engagement(delivery, receipt.status));
    if (receipt.unsubscribe) {
      inputs.push({
        kind: "profile",
        id: `unsubscribe:${delivery.idempotencyKey}`,
        userId: delivery.userId,
        channels: { [delivery.channel]: { subscribed: false, reason: receipt.error ?? "hard bounce" } },
      });
    }
  }
  if (inputs.length > 0) await engine.submit(project, inputs);
  return applied;
}

function engagement(delivery: StoredDelivery, status: MessageStatus): Input {
  return {
    kind: "engagement",
    // One input per status per message: a provider retrying its callback changes nothing.
    id: `${status}:${delivery.idempotencyKey}`,
    userId: delivery.userId,
    journeyId: delivery.journeyId,
    key: delivery.key,
    entryId: delivery.entryId,
    nodeId: delivery.nodeId,
    status,
  };
}

async function track(
  engine: Engine,
  signer: CallbackSigner,
  token: string,
  status: "opened" | "clicked",
): Promise<void> {
  const target = signer.readTrackingToken(token);
  if (!target) return;
  const delivery = await engine.store.findDeliveryByKey(target.idempotencyKey);
  if (!delivery || delivery.project !== target.project) return;
  await apply(engine, target.project, [{ key: delivery.idempotencyKey, status }]);
}
