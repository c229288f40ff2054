import type { Json, JsonObject } from "../core/model.js";

/**
 * Reading rendered content. Templates render to JSON, so a field may be a string, a number or
 * missing; these accessors say exactly what a provider accepts.
 */

/** The first of `names` that holds a non-empty string (numbers and booleans are written out). */
export function textField(payload: JsonObject, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = payload[name];
    if (typeof value === "string" && value !== "") return value;
    if (typeof value === "number" || typeof value === "boolean") return String(value);
  }
  return undefined;
}

/** A JSON object field, or undefined. */
export function objectField(payload: JsonObject, name: string): JsonObject | undefined {
  const value = payload[name];
  return isJsonObject(value) ? value : undefined;
}

/** An object of strings (HTTP headers, FCM data): other scalars are written out, nested values as JSON. */
export function stringRecord(value: Json | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isJsonObject(value)) return out;
  for (const [key, item] of Object.entries(value)) {
    if (item === null) continue;
    out[key] = typeof item === "string" ? item : JSON.stringify(item);
  }
  return out;
}

export function isJsonObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An unknown value (a parsed reply) as a record, or undefined when it is not a JSON object. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
