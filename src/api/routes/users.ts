import type { FastifyInstance } from "fastify";
import { explainUser } from "../../observability/explain-user.js";
import { storyRequest } from "../../observability/story-request.js";
import type { Engine } from "../../runtime/engine.js";
import { NotFoundError } from "../../runtime/errors.js";
import { parseRequest, UserBody } from "../schemas.js";
import { userIdParam } from "./params.js";

/** Profiles: identify (merge), read with active instances, journal, erase. */
export function userRoutes(app: FastifyInstance, engine: Engine): void {
  app.put("/v1/users/:userId", async (request) => {
    const userId = userIdParam(request.params);
    const change = parseRequest(UserBody, request.body ?? {}, "user");
    await engine.identify(request.project, userId, change);
    return view(engine, request.project, userId);
  });

  app.get("/v1/users/:userId", async (request) => view(engine, request.project, userIdParam(request.params)));

  app.get("/v1/users/:userId/journal", async (request, reply) => {
    const userId = userIdParam(request.params);
    const story = storyRequest(request.query);
    if (story) {
      const text = await explainUser(engine.store, request.project, userId, story);
      return reply.type("text/plain; charset=utf-8").send(text);
    }
    const lines = await engine.journal(request.project, userId);
    return { userId, journal: lines };
  });

  app.delete("/v1/users/:userId", async (request, reply) => {
    const userId = userIdParam(request.params);
    await engine.erase(request.project, userId);
    return reply.status(204).send();
  });
}

async function view(engine: Engine, project: string, userId: string) {
  const state = await engine.user(project, userId);
  if (!state) throw new NotFoundError("user", userId);
  const { profile, instances } = state;
  return {
    id: userId,
    attributes: profile?.attributes ?? {},
    timezone: profile?.timezone,
    channels: profile?.channels ?? {},
    segments: profile?.segments ?? [],
    createdAt: profile?.createdAt,
    updatedAt: profile?.updatedAt,
    instances: instances
      .filter((i) => i.status !== "exited")
      .map((i) => ({
        journeyId: i.journeyId,
        version: i.version,
        node: i.node,
        status: i.status,
        key: i.key,
        entryId: i.entryId,
        enteredAt: i.enteredAt,
        nodeAt: i.nodeAt,
        waitingUntil: i.timerDue,
      })),
    history: instances
      .filter((i) => i.status === "exited")
      .map((i) => ({
        journeyId: i.journeyId,
        version: i.version,
        node: i.node,
        key: i.key,
        enteredAt: i.enteredAt,
        exitedAt: i.exitedAt,
        exitReason: i.exitReason,
        converted: i.converted,
      })),
  };
}
