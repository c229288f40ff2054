import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import type { Engine } from "../runtime/engine.js";
import { RequestError } from "../runtime/errors.js";
import type { ApiKeys } from "./auth.js";
import { callbackRoutes } from "./routes/callbacks.js";
import { deliveryRoutes } from "./routes/deliveries.js";
import { documentRoutes } from "./routes/documents.js";
import { eventRoutes } from "./routes/events.js";
import { healthRoutes } from "./routes/health.js";
import { journeyRoutes } from "./routes/journeys.js";
import { openApiRoutes } from "./routes/openapi.js";
import { providerRoutes } from "./routes/providers.js";
import { userRoutes } from "./routes/users.js";

export interface ServerOptions {
  engine: Engine;
  keys: ApiKeys;
  /** pino logger options, or false to disable request logging. */
  logger?: boolean | { level: string };
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Extra routes (metrics, callbacks, UI) registered by other layers. */
  plugins?: ((app: FastifyInstance) => Promise<void> | void)[];
  /** Hooks added to the root instance before any other (request tracing, ingest metrics). */
  instrument?: ((app: FastifyInstance) => void)[];
}

declare module "fastify" {
  interface FastifyRequest {
    project: string;
  }
}

/** Paths that need no API key. */
const PUBLIC = new Set(["/healthz", "/readyz", "/metrics", "/v1/openapi.json"]);

/** Builds the HTTP API (Fastify): `/v1` routes behind API keys, health, OpenAPI. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Ids from clients are opaque strings; keep routing strict and predictable.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 512 },
    // Per-request log lines would cost more than the requests at tens of thousands of events/s.
    logController: new LogController({ disableRequestLogging: true }),
    // Router-level rejections (over-long path parameters...) answer in the API's error format too.
    frameworkErrors: (error, _request, reply) => {
      const status = error.statusCode ?? 400;
      void (reply as unknown as FastifyReply)
        .status(status < 500 ? status : 400)
        .send({ error: { code: fastifyCode(error), message: error.message } });
    },
  });
  // The API speaks JSON only (and form posts for provider callbacks, registered with them).
  app.removeContentTypeParser("text/plain");
  app.decorateRequest("project", "");
  for (const hooks of options.instrument ?? []) hooks(app);

  app.addHook("onRequest", async (request) => {
    const path = request.url.split("?")[0] ?? "";
    if (
      PUBLIC.has(path) ||
      !path.startsWith("/v1/") ||
      path.startsWith("/v1/callbacks/") ||
      path.startsWith("/v1/t/")
    )
      return;
    request.project = await authenticate(request, options.keys);
  });

  app.setErrorHandler((error: FastifyError | RequestError, request, reply) => {
    if (error instanceof RequestError) {
      return reply.status(error.status).send({
        error: {
          code: error.code,
          message: error.message,
          ...(error.path !== undefined ? { path: error.path } : {}),
          ...(error.issues ? { issues: error.issues } : {}),
        },
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.status(status).send({ error: { code: fastifyCode(error), message: error.message } });
    }
    request.log.error({ err: error }, "request failed");
    return reply.status(500).send({ error: { code: "INTERNAL", message: "internal error" } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: { code: "NOT_FOUND", message: `no route ${request.method} ${request.url.split("?")[0]}` },
    }),
  );

  const { engine } = options;
  await app.register(async (v1) => {
    healthRoutes(v1, engine);
    openApiRoutes(v1);
    eventRoutes(v1, engine);
    userRoutes(v1, engine);
    journeyRoutes(v1, engine);
    documentRoutes(v1, engine);
    deliveryRoutes(v1, engine);
    providerRoutes(v1, engine);
    if (engine.signer) callbackRoutes(v1, engine, engine.signer, engine.publicUrl);
  });
  for (const plugin of options.plugins ?? []) await app.register(async (scope) => plugin(scope));
  return app;
}

async function authenticate(request: FastifyRequest, keys: ApiKeys): Promise<string> {
  const header = request.headers.authorization;
  const match = typeof header === "string" ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match)
    throw new RequestError(
      401,
      "UNAUTHORIZED",
      "missing Authorization: Bearer <api key>",
      "headers.authorization",
    );
  const project = await keys.resolve(match[1] as string);
  if (!project) throw new RequestError(401, "UNAUTHORIZED", "unknown API key", "headers.authorization");
  return project;
}

function fastifyCode(error: FastifyError): string {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return "BODY_TOO_LARGE";
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return "UNSUPPORTED_MEDIA_TYPE";
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return "MALFORMED_JSON";
    default:
      return error.code?.startsWith("FST_") ? "BAD_REQUEST" : (error.code ?? "BAD_REQUEST");
  }
}
