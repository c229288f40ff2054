import type { JsonObject } from "../core/model.js";
import type { ProviderType } from "./config.js";
import { isJsonObject } from "./content.js";

/**
 * Which config fields are secrets, so `GET /v1/providers/{id}` can redact them and a PUT of a
 * redacted body keeps the stored values. Paths are relative to `config`; `*` is every key.
 */

const SECRET_FIELDS: { readonly [type in ProviderType]: readonly string[] } = {
  webhook: ["secret", "headers.*"],
  // An incoming webhook URL is itself the credential.
  slack: ["url"],
  twilio: ["authToken"],
  // webhookVerificationKey is a public key: shown as is.
  sendgrid: ["apiKey"],
  smtp: ["auth.pass"],
  fcm: ["private_key", "private_key_id"],
  "google-sheets": ["private_key", "private_key_id"],
};

/** What a redacted secret reads as. */
export const REDACTED = "********";

/** Secret field paths of a provider type, relative to `config` (`auth.pass`, `headers.*`). */
export function secretFields(type: ProviderType): readonly string[] {
  return SECRET_FIELDS[type];
}

/** A copy of a provider body (`{ type, channel, config }`) with every secret replaced by REDACTED. */
export function redactSecrets<T extends { type: ProviderType; config: object }>(body: T): T {
  const config = structuredClone(body.config) as JsonObject;
  for (const path of SECRET_FIELDS[body.type]) {
    visit(config, path.split("."), (parent, key) => {
      parent[key] = REDACTED;
    });
  }
  return { ...body, config };
}

/**
 * `next` with every secret that reads REDACTED taken back from `previous`, so a client may PUT
 * back what it read without knowing the secrets.
 */
export function keepSecrets<T extends { type: ProviderType; config: object }>(
  previous: { type: ProviderType; config: object } | undefined,
  next: T,
): T {
  const config = structuredClone(next.config) as JsonObject;
  const old = previous?.type === next.type ? (previous.config as JsonObject) : undefined;
  for (const path of SECRET_FIELDS[next.type]) {
    const segments = path.split(".");
    visit(config, segments, (parent, key, trail) => {
      if (parent[key] !== REDACTED) return;
      const kept = old === undefined ? undefined : lookup(old, trail);
      if (kept === undefined) delete parent[key];
      else parent[key] = kept;
    });
  }
  return { ...next, config };
}

type Visitor = (parent: JsonObject, key: string, trail: readonly string[]) => void;

function visit(
  object: JsonObject,
  segments: readonly string[],
  visitor: Visitor,
  trail: string[] = [],
): void {
  const [head, ...rest] = segments;
  if (head === undefined) return;
  const keys = head === "*" ? Object.keys(object) : [head];
  for (const key of keys) {
    if (!(key in object)) continue;
    const value = object[key];
    if (rest.length === 0) visitor(object, key, [...trail, key]);
    else if (isJsonObject(value)) visit(value, rest, visitor, [...trail, key]);
  }
}

function lookup(object: JsonObject, trail: readonly string[]): JsonObject[string] | undefined {
  let current: JsonObject[string] | undefined = object;
  for (const key of trail) {
    if (!isJsonObject(current)) return undefined;
    current = current[key];
  }
  return current;
}
