import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { type ProviderBody, validateProviderBody } from "../../channels/config.js";
import { keepSecrets, redactSecrets } from "../../channels/secrets.js";
import { fromZodIssues } from "../../core/schema-issues.js";
import type { Engine } from "../../runtime/engine.js";
import { InvalidError, NotFoundError } from "../../runtime/errors.js";
import { PROVIDER_DOC, type ProviderDocument } from "../../runtime/provider-registry.js";
import { idParam } from "./params.js";

const RateLimit = z.strictObject({
  perSecond: z.number().positive().max(1_000_000),
  burst: z.number().int().positive().max(1_000_000).optional(),
});

function view(engine: Engine, project: string, id: string, doc: ProviderDocument) {
  const token = engine.signer?.callbackToken(project, id);
  const query = `project=${encodeURIComponent(project)}${doc.type === "twilio" ? "" : `&token=${token}`}`;
  return { id, ...redactSecrets(doc), callbackUrl: `${engine.publicUrl ?? ""}/v1/callbacks/${id}?${query}` };
}

/** Channel providers per project: `{ type, channel?, config, rateLimit? }`; secrets are write-only. */
export function providerRoutes(app: FastifyInstance, engine: Engine): void {
  app.get("/v1/providers", async (request) => ({
    providers: (await engine.store.listDocuments(request.project, PROVIDER_DOC)).map((d) =>
      view(engine, request.project, d.id, d.body as unknown as ProviderDocument),
    ),
  }));

  app.get("/v1/providers/:id", async (request) => {
    const id = idParam(request.params);
    const doc = await engine.store.getDocument(request.project, PROVIDER_DOC, id);
    if (!doc) throw new NotFoundError("provider", id);
    return view(engine, request.project, id, doc as unknown as ProviderDocument);
  });

  app.put("/v1/providers/:id", async (request) => {
    const id = idParam(request.params);
    const body = request.body;
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw new InvalidError("invalid provider", [
        { path: "", message: "expected { type, channel?, config, rateLimit? }" },
      ]);
    }
    const { rateLimit, ...spec } = body as Record<string, unknown>;
    const issues = [];
    const limit = rateLimit === undefined ? undefined : RateLimit.safeParse(rateLimit);
    if (limit && !limit.success) issues.push(...fromZodIssues(limit.error.issues, ["rateLimit"]));
    const stored = (await engine.store.getDocument(request.project, PROVIDER_DOC, id)) as
      | ProviderDocument
      | undefined;
    // A GET body PUT back carries redacted secrets: keep the stored ones instead of saving the mask.
    const shaped = typeof spec.config === "object" && spec.config !== null && !Array.isArray(spec.config);
    const merged =
      stored && shaped && stored.type === spec.type ? keepSecrets(stored, spec as ProviderBody) : spec;
    const checked = validateProviderBody(merged);
    if (!checked.ok) issues.push(...checked.issues);
    if (issues.length > 0 || !checked.ok) throw new InvalidError("invalid provider", issues);
    const doc: ProviderDocument = { ...checked.value, ...(limit?.success ? { rateLimit: limit.data } : {}) };
    await engine.store.putDocument(request.project, PROVIDER_DOC, id, doc as never);
    await engine.providers.invalidate(request.project);
    return view(engine, request.project, id, doc);
  });

  app.delete("/v1/providers/:id", async (request, reply) => {
    const id = idParam(request.params);
    if (!(await engine.store.deleteDocument(request.project, PROVIDER_DOC, id)))
      throw new NotFoundError("provider", id);
    await engine.providers.invalidate(request.project);
    return reply.status(204).send();
  });
}
