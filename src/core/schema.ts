import { z } from "zod";
import type { Issue } from "./issue.js";
import type { JourneyDefinition, SegmentDefinition, TemplateDefinition } from "./model.js";
import {
  DurationSchema,
  EventNameSchema,
  exactlyOne,
  FilterSchema,
  IdSchema,
  JsonObjectSchema,
  LocalTimeSchema,
  oneOfRequired,
  WHEN_OBJECT,
} from "./schema-common.js";
import { ConditionSchema } from "./schema-condition.js";
import { SendSchema, TemplateSchema } from "./schema-content.js";
import { fromZodIssues } from "./schema-issues.js";

/**
 * zod schemas of the definition format (DESIGN.md §2, model.ts) and the parse functions the API,
 * CLI and loader use. Parsing checks the shape and reports every problem at once; graph and
 * reference checks come after, in validate.ts. The schemas also generate the OpenAPI document
 * (`z.toJSONSchema`), so they avoid transforms and other constructs JSON Schema cannot express.
 */

export { AtSchema, ConditionSchema, CountFilterSchema, PerformedSchema } from "./schema-condition.js";
export {
  CONTENT_SCHEMAS,
  EmailContentSchema,
  PushContentSchema,
  SendSchema,
  SlackContentSchema,
  SmsContentSchema,
  TemplateSchema,
  WebhookContentSchema,
  WhatsappContentSchema,
} from "./schema-content.js";

const ACTION_KINDS = ["send", "update", "webhook", "emit"] as const;

export const UpdateSchema = z
  .strictObject({
    set: JsonObjectSchema.optional().meta({ description: "Attributes to set" }),
    unset: z.array(z.string().min(1)).optional().meta({ description: "Attributes to remove" }),
    increment: z
      .record(z.string().min(1), z.number())
      .optional()
      .meta({ description: "Attributes to add to (missing counts as 0)" }),
  })
  .superRefine((update, ctx) => {
    const size = Object.keys(update.set ?? {}).length + (update.unset?.length ?? 0);
    if (size + Object.keys(update.increment ?? {}).length === 0) {
      ctx.addIssue({ code: "custom", message: "an update changes at least one attribute", path: [] });
    }
  }, WHEN_OBJECT)
  .meta({ description: "Change the user's profile attributes" });

export const WebhookSchema = z
  .strictObject({
    url: z.string().min(1).meta({ description: "http(s) URL; a Liquid template" }),
    method: z
      .enum(["POST", "PUT", "PATCH", "GET", "DELETE"])
      .optional()
      .meta({ description: "Default POST" }),
    headers: z.record(z.string().min(1), z.string()).optional(),
    body: z.json().optional().meta({ description: "JSON body; every string in it is a Liquid template" }),
    provider: z.string().min(1).optional(),
  })
  .meta({ description: "A templated HTTP call" });

export const EmitSchema = z
  .strictObject({
    event: EventNameSchema,
    properties: JsonObjectSchema.optional().meta({
      description: "Event properties; strings are Liquid templates",
    }),
  })
  .meta({ description: "Record an event for this user (it may start other journeys)" });

export const ActionSchema = z
  .strictObject({
    send: SendSchema.optional(),
    update: UpdateSchema.optional(),
    webhook: WebhookSchema.optional(),
    emit: EmitSchema.optional(),
  })
  .superRefine(exactlyOne("an action", ACTION_KINDS), WHEN_OBJECT)
  .meta({ id: "Action", description: "Done on arrival at the node", ...oneOfRequired(ACTION_KINDS) });

export const EdgeSchema = z
  .strictObject({
    to: IdSchema.meta({ description: "The node this edge leads to" }),
    when: ConditionSchema.optional().meta({ description: "Without a condition the edge always holds" }),
    label: z.string().max(200).optional().meta({ description: "Shown in the UI and in journal lines" }),
  })
  .meta({ id: "Edge" });

export const NodeSchema = z
  .strictObject({
    name: z.string().max(200).optional(),
    actions: z.array(ActionSchema).optional(),
    edges: z
      .array(EdgeSchema)
      .optional()
      .meta({ description: "Evaluated in order; the first that holds is taken" }),
    position: z.strictObject({ x: z.number(), y: z.number() }).optional().meta({ description: "UI only" }),
  })
  .meta({
    id: "Node",
    description: "Actions done on arrival, then edges to the next node; no edges is an exit",
  });

export const ReentrySchema = z
  .union([z.enum(["never", "always"]), z.strictObject({ after: DurationSchema })], {
    error: 'reentry is "never", "always" or { "after": duration }',
  })
  .meta({
    description:
      'May a user enter again: "never" (default), "always", or { "after": duration } since the last entry',
  });

const ENTRY_KINDS = ["event", "segment", "api"] as const;

export const EntrySchema = z
  .strictObject({
    event: EventNameSchema.optional().meta({ description: "Enter on this event" }),
    where: FilterSchema.optional().meta({ description: "With event: a filter on the entry event" }),
    key: z.string().min(1).optional().meta({
      description: "Dotted path in the entry event (e.g. properties.cartId): one instance per value",
    }),
    segment: IdSchema.optional().meta({ description: "Enter when the user enters this segment" }),
    on: z.literal("enter").optional().meta({ description: 'With segment: "enter"' }),
    api: z.literal(true).optional().meta({ description: "Enter by API call" }),
    reentry: ReentrySchema.optional(),
  })
  .superRefine(
    exactlyOne("an entry", ENTRY_KINDS, { where: ["event"], key: ["event", "api"], on: ["segment"] }),
    WHEN_OBJECT,
  )
  .superRefine((entry, ctx) => {
    if (entry.segment !== undefined && entry.on === undefined) {
      ctx.addIssue({ code: "custom", message: 'a segment entry needs "on": "enter"', path: ["on"] });
    }
  }, WHEN_OBJECT)
  .meta({ id: "Entry", description: "How users enter the journey", ...oneOfRequired(ENTRY_KINDS) });

export const ExitSchema = z
  .strictObject({
    event: EventNameSchema,
    where: FilterSchema.optional(),
    sameKey: z.boolean().optional().meta({ description: "Only the event with the entry's correlation key" }),
  })
  .meta({ description: "Leave the journey early when this event arrives" });

export const GoalSchema = z
  .strictObject({
    event: EventNameSchema,
    where: FilterSchema.optional(),
    within: DurationSchema.optional().meta({ description: "Counts only within this time of entry" }),
    sameKey: z.boolean().optional(),
    exit: z.boolean().optional().meta({ description: "Leave the journey on conversion (default false)" }),
  })
  .meta({ description: "The conversion event" });

export const SettingsSchema = z
  .strictObject({
    timezone: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "IANA timezone for users without one (default UTC)" }),
    quietHours: z.strictObject({ from: LocalTimeSchema, to: LocalTimeSchema }).optional().meta({
      description: "Sends inside [from, to) in the user's time wait for its end; may span midnight",
    }),
    frequencyCap: z
      .strictObject({
        max: z.number().int().min(1),
        per: DurationSchema,
        scope: z
          .enum(["all", "journey"])
          .optional()
          .meta({ description: "Count every journey's messages (all, default) or this one's" }),
      })
      .optional()
      .meta({ description: "At most max messages per user per window; further sends are skipped" }),
    maxMessageAge: DurationSchema.optional().meta({
      description: "Drop deliveries not sent within this time",
    }),
    requireTimeouts: z
      .boolean()
      .optional()
      .meta({ description: "Refuse nodes whose edges all wait for an event or message with no time edge" }),
  })
  .meta({ id: "JourneySettings" });

export const JourneySchema = z
  .strictObject({
    id: IdSchema,
    name: z.string().max(200).optional(),
    description: z.string().max(5000).optional(),
    entry: EntrySchema,
    audience: ConditionSchema.optional().meta({
      description: "Only users matching this condition may enter",
    }),
    exit: z.array(ExitSchema).optional(),
    goal: GoalSchema.optional(),
    settings: SettingsSchema.optional(),
    start: IdSchema.meta({ description: "The node users enter on" }),
    nodes: z.record(IdSchema, NodeSchema).meta({ description: "Nodes by id" }),
    migrate: z
      .record(IdSchema, IdSchema)
      .optional()
      .meta({ description: "On publish: old node id -> node id, for users on nodes that no longer exist" }),
  })
  .meta({
    id: "Journey",
    description: "A journey definition (DESIGN.md §2)",
  }) as unknown as z.ZodType<JourneyDefinition>;

export const SegmentSchema = z
  .strictObject({
    id: IdSchema,
    name: z.string().max(200).optional(),
    condition: ConditionSchema,
  })
  .meta({
    id: "Segment",
    description: "A saved, named condition",
  }) as unknown as z.ZodType<SegmentDefinition>;

function parseWith<T>(
  schema: z.ZodType<T>,
  json: unknown,
): { ok: true; value: T } | { ok: false; issues: Issue[] } {
  const result = schema.safeParse(json, { reportInput: true });
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, issues: fromZodIssues(result.error.issues) };
}

/** Checks the shape of a journey definition, reporting every problem with its JSON path. */
export function parseJourney(
  json: unknown,
): { ok: true; journey: JourneyDefinition } | { ok: false; issues: Issue[] } {
  const result = parseWith(JourneySchema, json);
  return result.ok ? { ok: true, journey: result.value } : result;
}

/** Checks the shape of a segment definition, reporting every problem with its JSON path. */
export function parseSegment(
  json: unknown,
): { ok: true; segment: SegmentDefinition } | { ok: false; issues: Issue[] } {
  const result = parseWith(SegmentSchema, json);
  return result.ok ? { ok: true, segment: result.value } : result;
}

/** Checks the shape of a template definition, content included, reporting every problem with its JSON path. */
export function parseTemplate(
  json: unknown,
): { ok: true; template: TemplateDefinition } | { ok: false; issues: Issue[] } {
  const result = parseWith(TemplateSchema, json);
  return result.ok ? { ok: true, template: result.value } : result;
}
