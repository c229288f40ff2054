import { z } from "zod";
import type { AtSpec, Condition, PerformedSpec } from "./model.js";
import {
  DurationSchema,
  EventNameSchema,
  exactlyOne,
  FilterSchema,
  IdSchema,
  LocalTimeSchema,
  OffsetSchema,
  oneOfRequired,
  WHEN_OBJECT,
} from "./schema-common.js";

/**
 * Conditions (DESIGN.md §2): recursive objects with exactly one kind key. The shape is one strict
 * object with every kind optional plus a refinement, rather than a union, so a mistake is reported
 * at the exact key instead of as "no union member matched".
 */

export const CONDITION_KINDS = [
  "event",
  "after",
  "at",
  "user",
  "segment",
  "performed",
  "message",
  "split",
  "all",
  "any",
  "not",
] as const;

const AT_KINDS = ["localTime", "attribute"] as const;

export const AtSchema = z
  .strictObject({
    localTime: LocalTimeSchema.optional().meta({ description: "The next time the user's clock shows this" }),
    attribute: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "Profile attribute holding a date (ISO 8601, YYYY-MM-DD or epoch ms)" }),
    offset: OffsetSchema.optional(),
  })
  .superRefine(exactlyOne("at", AT_KINDS, { offset: ["attribute"] }), WHEN_OBJECT)
  .meta({
    description: "A wall-clock moment in the user's timezone",
    ...oneOfRequired(AT_KINDS),
  }) as unknown as z.ZodType<AtSpec>;

export const CountFilterSchema = z
  .strictObject({
    $eq: z.number().optional(),
    $ne: z.number().optional(),
    $gt: z.number().optional(),
    $gte: z.number().optional(),
    $lt: z.number().optional(),
    $lte: z.number().optional(),
    $in: z.array(z.number()).optional(),
    $nin: z.array(z.number()).optional(),
  })
  .meta({ description: 'A numeric filter on the count, e.g. { "$gte": 2 }' });

export const PerformedSchema: z.ZodType<PerformedSpec> = z
  .strictObject({
    event: EventNameSchema,
    where: FilterSchema.optional(),
    within: DurationSchema.optional().meta({
      description: "Lookback window; without it all recorded history counts",
    }),
    count: z
      .union([z.number().int().nonnegative(), CountFilterSchema], {
        error: 'count is a number (at least that many) or a numeric filter like { "$gte": 2 }',
      })
      .optional()
      .meta({ description: 'How many times (default { "$gte": 1 }); a number n means { "$gte": n }' }),
  })
  .meta({ description: "The user performed an event (lookback over the event history)" });

export const MessageStatusSchema = z.enum(["delivered", "opened", "clicked", "failed"]);

export const ConditionSchema: z.ZodType<Condition> = z
  .strictObject({
    event: EventNameSchema.optional().meta({ description: "The current input is this event" }),
    where: FilterSchema.optional().meta({ description: "With event: a filter on the event" }),
    sameKey: z
      .boolean()
      .optional()
      .meta({ description: "With event: the event carries the same correlation key as the entry event" }),
    after: DurationSchema.optional().meta({ description: "Time since the user arrived on the node" }),
    at: AtSchema.optional(),
    user: FilterSchema.optional().meta({ description: "A filter on the user's profile attributes" }),
    segment: IdSchema.optional().meta({ description: "The user matches this saved segment" }),
    performed: PerformedSchema.optional(),
    message: MessageStatusSchema.optional().meta({
      description: "Engagement with the message this node sent",
    }),
    split: z
      .strictObject({
        percent: z.number().gt(0).lte(100).meta({ description: "Share of users, in (0, 100]" }),
      })
      .optional()
      .meta({ description: "Deterministic random bucket of the user's entry" }),
    get all() {
      return z.array(ConditionSchema).min(1).optional().meta({ description: "Every condition holds" });
    },
    get any() {
      return z.array(ConditionSchema).min(1).optional().meta({ description: "At least one condition holds" });
    },
    get not() {
      return ConditionSchema.optional().meta({ description: "The condition does not hold" });
    },
  })
  .superRefine(
    exactlyOne("a condition", CONDITION_KINDS, { where: ["event"], sameKey: ["event"] }),
    WHEN_OBJECT,
  )
  .meta({
    id: "Condition",
    description: "A condition: an object with exactly one of " + CONDITION_KINDS.join(", "),
    ...oneOfRequired(CONDITION_KINDS),
  }) as unknown as z.ZodType<Condition>;
