import type { FastifyInstance } from "fastify";
import type { Engine } from "../../runtime/engine.js";

/** Liveness and readiness (ready once the executor has caught up its start and timers are loaded). */
export function healthRoutes(app: FastifyInstance, engine: Engine): void {
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    if (!engine.ready) return reply.status(503).send({ status: "starting" });
    return { status: "ready" };
  });
}
