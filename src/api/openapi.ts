import { z } from "zod";
import { JourneySchema, SegmentSchema, TemplateSchema } from "../core/schema.js";
import { DeliveryQuery } from "./routes/deliveries.js";
import {
  AcceptedResponse,
  EnterBody,
  ErrorResponse,
  EventBatchBody,
  EventBody,
  SegmentBody,
  SimulateBody,
  TemplateBody,
  UserBody,
} from "./schemas.js";

type Operation = {
  summary: string;
  body?: string;
  ok?: string;
  status?: number;
  query?: z.ZodObject;
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const components: Record<string, z.ZodType> = {
  Event: EventBody,
  EventBatch: EventBatchBody,
  EventOrBatch: z.union([EventBody, EventBatchBody]),
  Accepted: AcceptedResponse,
  UserChange: UserBody,
  JourneyEntry: EnterBody,
  Journey: JourneySchema,
  Segment: SegmentSchema,
  Template: TemplateSchema,
  TemplateBody,
  SegmentBody,
  SimulateRequest: SimulateBody,
  Error: ErrorResponse,
};

const paths: Record<string, Record<string, Operation>> = {
  "/v1/events": {
    post: {
      summary: "Track one event or a batch of up to 1000",
      body: "EventOrBatch",
      ok: "Accepted",
      status: 202,
    },
  },
  "/v1/users/{userId}": {
    put: { summary: "Identify: merge attributes, timezone and channels", body: "UserChange" },
    get: { summary: "Profile with active journey instances" },
    delete: { summary: "Erase the user everywhere", status: 204 },
  },
  "/v1/users/{userId}/journal": { get: { summary: "Every step the user took, and why" } },
  "/v1/journeys": {
    get: { summary: "List journeys" },
    post: { summary: "Create a journey draft", body: "Journey", status: 201 },
  },
  "/v1/journeys/{id}": {
    get: { summary: "A journey: draft, status, latest version" },
    put: { summary: "Replace the draft", body: "Journey" },
    delete: { summary: "Delete a draft or archived journey", status: 204 },
  },
  "/v1/journeys/{id}/validate": {
    post: { summary: "Validate the draft: { valid, errors: [{ path, message }] }" },
  },
  "/v1/journeys/{id}/publish": { post: { summary: "Publish the draft as a new version and migrate users" } },
  "/v1/journeys/{id}/pause": { post: { summary: "Pause: users hold in place, sends are skipped" } },
  "/v1/journeys/{id}/resume": { post: { summary: "Resume a paused journey" } },
  "/v1/journeys/{id}/archive": { post: { summary: "Archive: active users exit" } },
  "/v1/journeys/{id}/stats": {
    get: { summary: "Per node: entered, waiting, exited, converted, sent, failed" },
  },
  "/v1/journeys/{id}/simulate": {
    post: { summary: "Run the draft over posted events with a virtual clock", body: "SimulateRequest" },
  },
  "/v1/journeys/{id}/enter": {
    post: { summary: "Enter a user into an API-triggered journey", body: "JourneyEntry", status: 202 },
  },
  "/v1/templates/{id}": {
    put: { summary: "Create or replace a template", body: "TemplateBody" },
    get: { summary: "A template" },
    delete: { summary: "Delete a template", status: 204 },
  },
  "/v1/segments/{id}": {
    put: { summary: "Create or replace a segment", body: "SegmentBody" },
    get: { summary: "A segment" },
    delete: { summary: "Delete a segment", status: 204 },
  },
  "/v1/deliveries": { get: { summary: "The outbox, filtered", query: DeliveryQuery } },
  "/healthz": { get: { summary: "Liveness" } },
  "/readyz": { get: { summary: "Readiness" } },
};

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function buildOpenApi(extra: Record<string, Record<string, Operation>> = {}): unknown {
  const schemas: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(components)) {
    schemas[name] = z.toJSONSchema(schema, { target: "draft-2020-12", unrepresentable: "any", io: "input" });
  }
  const out: Record<string, Record<string, unknown>> = {};
  for (const [path, operations] of Object.entries({ ...paths, ...extra })) {
    const item: Record<string, unknown> = {};
    const parameters = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    for (const [method, op] of Object.entries(operations)) {
      const status = String(op.status ?? 200);
      const query = op.query
        ? Object.keys(op.query.shape).map((name) => ({
            name,
            in: "query",
            required: false,
            schema: { type: "string" },
          }))
        : [];
      item[method] = {
        summary: op.summary,
        ...(parameters.length + query.length > 0 ? { parameters: [...parameters, ...query] } : {}),
        ...(op.body
          ? { requestBody: { required: true, content: { "application/json": { schema: ref(op.body) } } } }
          : {}),
        responses: {
          [status]: {
            description: "OK",
            ...(op.ok ? { content: { "application/json": { schema: ref(op.ok) } } } : {}),
          },
          "4XX": { description: "Bad request", content: { "application/json": { schema: ref("Error") } } },
        },
        ...(path.startsWith("/v1/") ? { security: [{ bearer: [] }] } : {}),
      };
    }
    out[path] = item;
  }
  return {
    openapi: "3.1.0",
    info: { title: "Journeys API", version: "1" },
    paths: out,
    components: { schemas, securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
  };
}
