import { RequestError } from "../runtime/errors.js";
import type { ExplainUserOptions } from "./explain-user.js";
import { StoryClock } from "./story-clock.js";

/**
 * Reads `?format=text[&journey=ID][&timezone=Europe/Paris]` of `GET /v1/users/{id}/journal`:
 * the options of the story to answer with, or undefined when the caller wants the JSON lines.
 */
export function storyRequest(query: unknown): ExplainUserOptions | undefined {
  const q = (query ?? {}) as Record<string, unknown>;
  if (q.format === undefined || q.format === "json") return undefined;
  if (q.format !== "text")
    throw new RequestError(400, "INVALID", 'format must be "json" or "text"', "query.format");
  const options: ExplainUserOptions = {};
  if (q.journey !== undefined) {
    if (typeof q.journey !== "string" || q.journey === "")
      throw new RequestError(400, "INVALID", "journey must be a journey id", "query.journey");
    options.journeyId = q.journey;
  }
  if (q.timezone !== undefined) {
    if (typeof q.timezone !== "string" || !knownZone(q.timezone))
      throw new RequestError(
        400,
        "INVALID",
        "timezone must be an IANA zone such as Europe/Paris",
        "query.timezone",
      );
    options.timezone = q.timezone;
  }
  return options;
}

function knownZone(zone: string): boolean {
  try {
    new StoryClock(zone);
    return true;
  } catch {
    return false;
  }
}
