import { RequestError } from "../../runtime/errors.js";

const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

function param(params: unknown, name: string): string {
  const value = (params as Record<string, unknown>)[name];
  if (typeof value !== "string" || value === "")
    throw new RequestError(400, "INVALID", `missing ${name}`, `params.${name}`);
  return value;
}

/** A user id from the path: any string of 1–256 characters. */
export function userIdParam(params: unknown): string {
  const value = param(params, "userId");
  if (value.length > 256)
    throw new RequestError(400, "INVALID", "userId is longer than 256 characters", "params.userId");
  return value;
}

/** A journey, template, segment or provider id from the path. */
export function idParam(params: unknown, name = "id"): string {
  const value = param(params, name);
  if (!ID.test(value)) {
    throw new RequestError(400, "INVALID", `${name} must match ${ID.source}`, `params.${name}`);
  }
  return value;
}
