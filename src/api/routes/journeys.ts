import type { FastifyInstance } from "fastify";
import { buildCatalog } from "../../core/catalog.js";
import type { JourneyDefinition } from "../../core/model.js";
import { simulate } from "../../core/simulate.js";
import { parseSimulationScript } from "../../core/simulation-script.js";
import { createTemplateEngine } from "../../core/template.js";
import type { Engine } from "../../runtime/engine.js";
import { InvalidError } from "../../runtime/errors.js";
import { EnterBody, parseRequest, SimulateBody } from "../schemas.js";
import { idParam } from "./params.js";

/** Journeys: drafts, validation, lifecycle, stats, simulation and API entry. */
export function journeyRoutes(app: FastifyInstance, engine: Engine): void {
  const journeys = engine.journeys;

  app.get("/v1/journeys", async (request) => ({ journeys: await journeys.list(request.project) }));

  app.post("/v1/journeys", async (request, reply) => {
    const record = await journeys.create(request.project, request.body);
    return reply.status(201).send(record);
  });

  app.get("/v1/journeys/:id", async (request) => journeys.get(request.project, idParam(request.params)));

  app.put("/v1/journeys/:id", async (request) =>
    journeys.putDraft(request.project, idParam(request.params), request.body),
  );

  app.delete("/v1/journeys/:id", async (request, reply) => {
    await journeys.delete(request.project, idParam(request.params));
    return reply.status(204).send();
  });

  app.get("/v1/journeys/:id/versions/:version", async (request) => {
    const version = Number((request.params as { version: string }).version);
    if (!Number.isInteger(version) || version < 1)
      throw new InvalidError("invalid version", [{ path: "params.version", message: "a positive integer" }]);
    return journeys.version(request.project, idParam(request.params), version);
  });

  app.post("/v1/journeys/:id/validate", async (request) => {
    const issues = await journeys.validate(request.project, idParam(request.params));
    return { valid: issues.length === 0, errors: issues };
  });

  app.post("/v1/journeys/:id/publish", async (request) =>
    journeys.publish(request.project, idParam(request.params)),
  );
  app.post("/v1/journeys/:id/pause", async (request) =>
    journeys.pause(request.project, idParam(request.params)),
  );
  app.post("/v1/journeys/:id/resume", async (request) =>
    journeys.resume(request.project, idParam(request.params)),
  );
  app.post("/v1/journeys/:id/archive", async (request) =>
    journeys.archive(request.project, idParam(request.params)),
  );
  app.get("/v1/journeys/:id/stats", async (request) =>
    journeys.stats(request.project, idParam(request.params)),
  );

  app.post("/v1/journeys/:id/enter", async (request, reply) => {
    const id = idParam(request.params);
    await journeys.get(request.project, id);
    const body = parseRequest(EnterBody, request.body, "entry");
    const inputId = await engine.enter(request.project, body.userId, id, body.properties ?? {}, body.id);
    return reply.status(202).send({ accepted: 1, ids: [inputId] });
  });

  app.post("/v1/journeys/:id/simulate", async (request) => {
    const id = idParam(request.params);
    const body = parseRequest(SimulateBody, request.body, "simulation");
    const definition = (body.definition ??
      (await journeys.get(request.project, id)).draft) as JourneyDefinition;
    const issues = await journeys.check(request.project, definition);
    if (issues.length > 0) throw new InvalidError("journey is not valid", issues);
    const start = engine.clock.now();
    const script = parseSimulationScript(body.events, start);
    if (script.issues.length > 0) {
      throw new InvalidError(
        "invalid simulation events",
        script.issues.map((i) => ({ ...i, path: `events${i.path}` })),
      );
    }
    const source = await engine.catalogs.source(request.project);
    const { catalog } = buildCatalog(
      { ...source, journeys: [{ definition, version: 0, status: "active" }] },
      createTemplateEngine(),
    );
    const until =
      typeof body.until === "number"
        ? body.until
        : typeof body.until === "string"
          ? Date.parse(body.until)
          : undefined;
    const result = simulate(
      catalog,
      script.steps,
      until !== undefined && !Number.isNaN(until) ? { until } : {},
    );
    return {
      nodes: result.nodeCounts[definition.id] ?? {},
      users: result.users.map((user) => ({
        userId: user.userId,
        paths: user.paths.filter((p) => p.journeyId === definition.id),
        deliveries: user.deliveries.map((d) => ({
          node: d.nodeId,
          channel: d.channel,
          at: d.createdAt,
          skipped: d.skipReason,
          payload: d.payload,
        })),
      })),
      inputs: result.inputs,
      timersFired: result.timersFired,
    };
  });
}
