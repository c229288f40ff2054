import type { FastifyInstance } from "fastify";
import { buildOpenApi } from "../openapi.js";

/** `GET /v1/openapi.json`: generated from the schemas that validate requests. */
export function openApiRoutes(app: FastifyInstance): void {
  let document: unknown;
  app.get("/v1/openapi.json", async () => {
    document ??= buildOpenApi();
    return document;
  });
}
