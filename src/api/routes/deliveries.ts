import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Engine } from "../../runtime/engine.js";
import { parseRequest } from "../schemas.js";

export const DeliveryQuery = z.strictObject({
  status: z.enum(["queued", "sending", "sent", "delivered", "failed", "dead", "skipped"]).optional(),
  userId: z.string().min(1).max(256).optional(),
  journeyId: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  after: z.coerce.number().int().min(0).optional(),
});

/** The outbox as users see it. */
export function deliveryRoutes(app: FastifyInstance, engine: Engine): void {
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
}
