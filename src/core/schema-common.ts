import { z } from "zod";

/**
 * Building blocks shared by the definition schemas: ids, durations, local times, filters, and the
 * "exactly one of these keys" rule that conditions, actions and entries follow.
 */

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export const IdSchema = z
  .string()
  .regex(ID_PATTERN, "an id is 1 to 128 letters, digits, _ . : or -, starting with a letter or a digit")
  .meta({ description: "Identifier: 1-128 of A-Z a-z 0-9 _ . : -, starting with a letter or digit" });

export const EventNameSchema = z
  .string()
  .min(1)
  .max(128)
  .meta({ description: "An event name, as sent to /v1/events" });

/** The syntax of parseDuration without a sign; positivity is a semantic check (validate.ts). */
export const DURATION_PATTERN = /^(?:\d+(?:ms|s|m|h|d|w))+$/;
const SIGNED_DURATION_PATTERN = /^-?(?:\d+(?:ms|s|m|h|d|w))+$/;

export const DurationSchema = z
  .string()
  .regex(DURATION_PATTERN, "a duration is a number and a unit (ms, s, m, h, d, w), e.g. 30m, 2h, 1h30m")
  .meta({ description: "Duration: 30s, 15m, 2h, 7d, 1w, 1h30m" });

export const OffsetSchema = z
  .string()
  .regex(SIGNED_DURATION_PATTERN, "an offset is a duration with an optional minus sign, e.g. -3d, 12h")
  .meta({ description: "Signed duration added to a date attribute: -3d, 12h" });

export const LOCAL_TIME_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

export const LocalTimeSchema = z
  .string()
  .regex(LOCAL_TIME_PATTERN, "a local time is HH:MM or HH:MM:SS on a 24-hour clock, e.g. 09:00")
  .meta({ description: "Wall-clock time in the user's timezone: HH:MM or HH:MM:SS" });

export const JsonObjectSchema = z.record(z.string(), z.json());

export const FilterSchema = z.record(z.string(), z.json()).meta({
  description:
    'MongoDB-style filter over dotted paths: { "properties.total": { "$gt": 50 } }. Operators: $eq $ne $gt $gte $lt $lte $in $nin $exists $regex $contains $not, and $and $or $nor',
});

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Runs a refinement whenever the value is an object, even when its properties have errors, so a
 * definition gets every problem in one answer instead of one round trip per problem.
 */
export const WHEN_OBJECT = { when: (payload: { value: unknown }) => isPlainObject(payload.value) };

/**
 * A refinement that requires exactly one of `kinds` to be present (`what` names the object, as in
 * "a condition"), and that each `companions` key only appears alongside its owners.
 */
export function exactlyOne(
  what: string,
  kinds: readonly string[],
  companions: { readonly [key: string]: readonly string[] } = {},
): (value: Record<string, unknown>, ctx: z.RefinementCtx) => void {
  return (value, ctx) => {
    const found = kinds.filter((kind) => value[kind] !== undefined);
    if (found.length !== 1) {
      const detail = found.length === 0 ? "found none" : `found ${found.join(", ")}`;
      ctx.addIssue({
        code: "custom",
        message: `${what} has exactly one of ${kinds.join(", ")} (${detail})`,
        path: [],
      });
    }
    for (const [key, owners] of Object.entries(companions)) {
      if (value[key] === undefined || owners.some((owner) => value[owner] !== undefined)) continue;
      ctx.addIssue({ code: "custom", message: `${key} only goes with ${owners.join(" or ")}`, path: [key] });
    }
  };
}

/** JSON Schema hint (`oneOf` of `required`) for objects whose exactly-one rule zod checks in a refinement. */
export function oneOfRequired(kinds: readonly string[]): { oneOf: { required: string[] }[] } {
  return { oneOf: kinds.map((kind) => ({ required: [kind] })) };
}
