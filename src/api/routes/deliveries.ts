import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Engine } from "../../runtime/engine.js";
import { NotFoundError, RequestError } from "../../runtime/errors.js";
import type { DeliveryUpdate, StoredDelivery } from "../../store/types.js";
import { parseRequest } from "../schemas.js";

const STATUS = z.enum(["queued", "sending", "sent", "delivered", "failed", "dead", "skipped"]);

export const DeliveryQuery = z.strictObject({
  status: STATUS.optional(),
  userId: z.string().min(1).max(256).optional(),
  journeyId: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  after: z.coerce.number().int().min(0).optional(),
});

export const ReplayBody = z
  .strictObject({
    status: z
      .enum(["dead", "failed"])
      .optional()
      .meta({ description: "Which deliveries to replay (default dead)" }),
    journeyId: z.string().min(1).max(128).optional(),
    userId: z.string().min(1).max(256).optional(),
    channel: z.string().min(1).max(32).optional(),
    limit: z.number().int().min(1).max(100_000).optional(),
  })
  .meta({ id: "ReplayRequest" });

const REPLAYABLE = new Set(["dead", "failed"]);

/** The outbox as users see it, plus the dead-letter queue: retry one, replay many. */
export function deliveryRoutes(app: FastifyInstance, engine: Engine): void {
  const requeue = (d: StoredDelivery, now: number): DeliveryUpdate => ({
    id: d.id,
    status: "queued",
    attempts: 0,
    nextAttemptAt: now,
    lastError: null,
    reason: "replayed",
    updatedAt: now,
  });

  app.get("/v1/deliveries", async (request) => {
    const query = parseRequest(DeliveryQuery, request.query, "query");
    const deliveries = await engine.store.listDeliveries({
      project: request.project,
      ...query,
      limit: query.limit ?? 100,
    });
    return {
      deliveries,
      next: deliveries.length === (query.limit ?? 100) ? deliveries.at(-1)?.id : undefined,
    };
  });

  app.get("/v1/deliveries/:id", async (request) => {
    const id = Number((request.params as { id: string }).id);
    const delivery = Number.isSafeInteger(id)
      ? await engine.store.getDelivery(request.project, id)
      : undefined;
    if (!delivery) throw new NotFoundError("delivery", String((request.params as { id: string }).id));
    return delivery;
  });

  app.post("/v1/deliveries/:id/retry", async (request) => {
    const raw = (request.params as { id: string }).id;
    const id = Number(raw);
    const delivery = Number.isSafeInteger(id)
      ? await engine.store.getDelivery(request.project, id)
      : undefined;
    if (!delivery) throw new NotFoundError("delivery", raw);
    if (!REPLAYABLE.has(delivery.status)) {
      throw new RequestError(
        409,
        "INVALID_STATE",
        `delivery ${id} is ${delivery.status}; only dead or failed deliveries are retried`,
      );
    }
    await engine.store.updateDeliveries([requeue(delivery, engine.clock.now())]);
    engine.dispatcher?.wake();
    return { ...delivery, status: "queued", attempts: 0 };
  });

  app.post("/v1/deliveries/replay", async (request) => {
    const body = parseRequest(ReplayBody, request.body ?? {}, "replay");
    const status = body.status ?? "dead";
    const limit = body.limit ?? 10_000;
    const now = engine.clock.now();
    let replayed = 0;
    for (let after = 0; replayed < limit; ) {
      const page = await engine.store.listDeliveries({
        project: request.project,
        status,
        limit: 500,
        after,
        ...(body.journeyId ? { journeyId: body.journeyId } : {}),
        ...(body.userId ? { userId: body.userId } : {}),
      });
      if (page.length === 0) break;
      const chosen = page
        .filter((d) => body.channel === undefined || d.channel === body.channel)
        .slice(0, limit - replayed);
      if (chosen.length > 0) await engine.store.updateDeliveries(chosen.map((d) => requeue(d, now)));
      replayed += chosen.length;
      after = (page.at(-1) as StoredDelivery).id;
      if (page.length < 500) break;
    }
    engine.dispatcher?.wake();
    return { replayed };
  });
}
