import type { FastifyInstance } from "fastify";
import type { Issue } from "../../core/issue.js";
import type { SegmentDefinition, TemplateDefinition } from "../../core/model.js";
import { parseSegment, parseTemplate } from "../../core/schema.js";
import { createTemplateEngine, sampleScope, validateTemplate } from "../../core/template.js";
import { validateSegment } from "../../core/validate.js";
import { DOC } from "../../runtime/catalogs.js";
import type { Engine } from "../../runtime/engine.js";
import { InvalidError, NotFoundError } from "../../runtime/errors.js";
import { idParam } from "./params.js";

interface DocumentKind<T> {
  path: string;
  doc: string;
  what: string;
  /** Schema check: the document, or every issue with its path. */
  parse(json: unknown): { ok: true; value: T } | { ok: false; issues: Issue[] };
  /** Semantic check against the project (renders templates, resolves segment references). */
  check(project: string, value: T): Promise<Issue[]>;
}

/** Templates and segments: small documents that journeys reference by id. */
export function documentRoutes(app: FastifyInstance, engine: Engine): void {
  const templates = createTemplateEngine();
  register<TemplateDefinition>(app, engine, {
    path: "templates",
    doc: DOC.template,
    what: "template",
    parse: (json) => {
      const parsed = parseTemplate(json);
      return parsed.ok ? { ok: true, value: parsed.template } : parsed;
    },
    // Parses and renders against a sample context: syntax errors and unknown variables, with paths.
    check: async (_project, value) => validateTemplate(templates, value, sampleScope(), ""),
  });
  register<SegmentDefinition>(app, engine, {
    path: "segments",
    doc: DOC.segment,
    what: "segment",
    parse: (json) => {
      const parsed = parseSegment(json);
      return parsed.ok ? { ok: true, value: parsed.segment } : parsed;
    },
    check: async (project, value) => {
      const docs = await engine.store.listDocuments(project, DOC.segment);
      const segments = new Map(docs.map((d) => [d.id, d.body as unknown as SegmentDefinition]));
      segments.set(value.id, value);
      return validateSegment(value, { segments });
    },
  });
}

function register<T>(app: FastifyInstance, engine: Engine, kind: DocumentKind<T>): void {
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
    const issues = await kind.check(request.project, parsed.value);
    if (issues.length > 0) throw new InvalidError(`invalid ${kind.what}`, issues);
    await engine.store.putDocument(request.project, kind.doc, id, parsed.value as never);
    await engine.catalogs.reload(request.project);
    return parsed.value;
  });

  app.delete(`/v1/${kind.path}/:id`, async (request, reply) => {
    const id = idParam(request.params);
    const removed = await engine.store.deleteDocument(request.project, kind.doc, id);
    if (!removed) throw new NotFoundError(kind.what, id);
    await engine.catalogs.reload(request.project);
    return reply.status(204).send();
  });
}
