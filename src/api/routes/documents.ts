import type { FastifyInstance } from "fastify";
import { parseSegment, parseTemplate } from "../../core/schema.js";
import { DOC } from "../../runtime/catalogs.js";
import type { Engine } from "../../runtime/engine.js";
import { InvalidError, NotFoundError } from "../../runtime/errors.js";
import { idParam } from "./params.js";

/** Templates and segments: small documents that journeys reference by id. */
export function documentRoutes(app: FastifyInstance, engine: Engine): void {
  const kinds = [
    { path: "templates", doc: DOC.template, what: "template", parse: parseTemplate },
    { path: "segments", doc: DOC.segment, what: "segment", parse: parseSegment },
  ] as const;
  for (const kind of kinds) {
    app.get(`/v1/${kind.path}`, async (request) => ({
      [kind.path]: (await engine.store.listDocuments(request.project, kind.doc)).map((d) => d.body),
    }));

    app.get(`/v1/${kind.path}/:id`, async (request) => {
      const id = idParam(request.params);
      const doc = await engine.store.getDocument(request.project, kind.doc, id);
      if (!doc) throw new NotFoundError(kind.what, id);
      return doc;
    });

    app.put(`/v1/${kind.path}/:id`, async (request) => {
      const id = idParam(request.params);
      const body = request.body;
      if (body === null || typeof body !== "object" || Array.isArray(body)) {
        throw new InvalidError(`invalid ${kind.what}`, [{ path: "", message: "expected a JSON object" }]);
      }
      const parsed = kind.parse({ ...body, id });
      if (!parsed.ok) throw new InvalidError(`invalid ${kind.what}`, parsed.issues);
      const value = "template" in parsed ? parsed.template : parsed.segment;
      await engine.store.putDocument(request.project, kind.doc, id, value as never);
      await engine.catalogs.reload(request.project);
      return value;
    });

    app.delete(`/v1/${kind.path}/:id`, async (request, reply) => {
      const id = idParam(request.params);
      const removed = await engine.store.deleteDocument(request.project, kind.doc, id);
      if (!removed) throw new NotFoundError(kind.what, id);
      await engine.catalogs.reload(request.project);
      return reply.status(204).send();
    });
  }
}
