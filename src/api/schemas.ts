import { z } from "zod";
import { isValidTimezone } from "../core/clock-time.js";
import { fromZodIssues } from "../core/schema-issues.js";
import { InvalidError } from "../runtime/errors.js";

/** Request and response schemas of the HTTP API: they validate requests and generate the OpenAPI document. */

const json = z.json();

export const EventBody = z
  .strictObject({
    id: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .meta({ description: "Client id; a retried id is applied once" }),
    userId: z.string().min(1).max(256),
    name: z.string().min(1).max(128),
    properties: z.record(z.string(), json).optional(),
    timestamp: z
      .union([z.number().int().nonnegative(), z.iso.datetime({ offset: true })])
      .optional()
      .meta({ description: "Epoch milliseconds or ISO 8601; defaults to the time of receipt" }),
  })
  .meta({ id: "Event" });

export const MAX_BATCH = 1000;

export const EventBatchBody = z
  .strictObject({ events: z.array(EventBody).min(1).max(MAX_BATCH) })
  .meta({ id: "EventBatch" });

export const AcceptedResponse = z
  .object({ accepted: z.number().int(), duplicates: z.number().int(), ids: z.array(z.string()) })
  .meta({ id: "Accepted" });

const ChannelAddressBody = z.strictObject({
  address: z.string().min(1).max(2048).optional(),
  subscribed: z.boolean().optional(),
  reason: z.string().max(200).optional(),
});

export const UserBody = z
  .strictObject({
    attributes: z.record(z.string(), json).optional(),
    unset: z.array(z.string().min(1)).max(1000).optional(),
    timezone: z
      .string()
      .refine(isValidTimezone, { message: "not an IANA timezone (e.g. Europe/Paris)" })
      .optional(),
    channels: z
      .partialRecord(z.enum(["push", "email", "sms", "whatsapp", "slack", "webhook"]), ChannelAddressBody)
      .optional(),
  })
  .meta({ id: "UserChange" });

export const EnterBody = z
  .strictObject({
    userId: z.string().min(1).max(256),
    id: z.string().min(1).max(128).optional(),
    properties: z.record(z.string(), json).optional(),
  })
  .meta({ id: "JourneyEntry" });

export const TemplateBody = z
  .strictObject({ channel: z.string(), content: z.record(z.string(), json), name: z.string().optional() })
  .meta({ id: "TemplateBody" });

export const SegmentBody = z
  .strictObject({ condition: json, name: z.string().optional() })
  .meta({ id: "SegmentBody" });

export const SimulateBody = z
  .strictObject({
    events: z.array(z.record(z.string(), json)).max(10_000),
    definition: json.optional().meta({ description: "Simulate this definition instead of the saved draft" }),
    until: z.union([z.number(), z.string()]).optional(),
  })
  .meta({ id: "SimulateRequest" });

export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      path: z.string().optional(),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: "Error" });

/** Parses a request part or throws a 400 naming every JSON path at fault. */
export function parseRequest<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new InvalidError(`invalid ${what}`, fromZodIssues(result.error.issues));
}
