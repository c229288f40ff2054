import type { FastifyInstance } from "fastify";
import type { JourneysMetrics } from "./metrics.js";

/** `GET /metrics`: the Prometheus exposition of this server's registry (no API key, like health). */
export function metricsRoute(metrics: JourneysMetrics): (app: FastifyInstance) => void {
  return (app) => {
    app.get("/metrics", async (_request, reply) => {
      const { contentType, body } = await metrics.render();
      return reply.header("content-type", contentType).send(body);
    });
  };
}
