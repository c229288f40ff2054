import type { FastifyInstance } from "fastify";
import type { Engine, IncomingEvent } from "../../runtime/engine.js";
import { RequestError } from "../../runtime/errors.js";
import { EventBatchBody, EventBody, parseRequest } from "../schemas.js";

/** `POST /v1/events`: one event or `{ events: [...] }`; 202 once durable. */
export function eventRoutes(app: FastifyInstance, engine: Engine): void {
  app.post("/v1/events", async (request, reply) => {
    if (!engine.ready) throw new RequestError(503, "NOT_READY", "not accepting events right now");
    if (engine.overloaded) {
      // Nothing is appended: the client retries later (the typed client does, with jitter).
      reply.header("retry-after", "1");
      throw new RequestError(
        429,
        "OVERLOADED",
        `${engine.backlog()} events are waiting to be applied; retry in a second`,
      );
    }
    const body = request.body;
    const batch =
      body !== null && typeof body === "object" && !Array.isArray(body) && "events" in body
        ? parseRequest(EventBatchBody, body, "event batch").events
        : [parseRequest(EventBody, body, "event")];
    // Handed over as validated: no copy per event (it would live until the log's group commit).
    const events: readonly IncomingEvent[] = batch;
    const { ids, duplicates } = await engine.ingest(request.project, events);
    return reply.status(202).send({ accepted: ids.length, duplicates, ids });
  });
}
