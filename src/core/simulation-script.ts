import { type Issue, joinPath } from "./issue.js";
import type { JsonObject, MessageStatus } from "./model.js";
import type { SimulationStep } from "./simulate.js";

const STATUSES = new Set(["delivered", "opened", "clicked", "failed"]);

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A timestamp as epoch ms or ISO 8601, else undefined. */
function moment(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string") {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/**
 * Reads simulation lines (one JSON object each, as in an NDJSON file): `{ userId, name,
 * properties?, timestamp }` is an event; `{ userId, timestamp, attributes?, timezone?,
 * channels? }` a profile change; `{ userId, timestamp, engagement: "opened" }` engagement with
 * the user's last message; `{ userId, timestamp, enter: "journey-id" }` an API entry.
 * A line without a timestamp happens one second after the previous one (the first at `start`).
 */
export function parseSimulationScript(
  lines: readonly unknown[],
  start: number,
): { steps: SimulationStep[]; issues: Issue[] } {
  const steps: SimulationStep[] = [];
  const issues: Issue[] = [];
  let previous = start - 1000;
  lines.forEach((line, i) => {
    const path = joinPath("", i);
    if (!isObject(line)) {
      issues.push({ path, message: "each line must be a JSON object" });
      return;
    }
    const userId = line.userId;
    if (typeof userId !== "string" || userId === "") {
      issues.push({ path: joinPath(path, "userId"), message: "userId must be a non-empty string" });
      return;
    }
    let at = previous + 1000;
    if (line.timestamp !== undefined) {
      const parsed = moment(line.timestamp);
      if (parsed === undefined) {
        issues.push({
          path: joinPath(path, "timestamp"),
          message: "timestamp must be epoch milliseconds or ISO 8601",
        });
        return;
      }
      at = parsed;
    }
    previous = at;
    const properties = isObject(line.properties) ? line.properties : {};
    if (typeof line.name === "string") {
      steps.push({
        kind: "event",
        at,
        userId,
        name: line.name,
        properties,
        ...(typeof line.id === "string" ? { id: line.id } : {}),
      });
    } else if (typeof line.engagement === "string") {
      if (!STATUSES.has(line.engagement)) {
        issues.push({
          path: joinPath(path, "engagement"),
          message: "engagement is delivered, opened, clicked or failed",
        });
        return;
      }
      steps.push({ kind: "engagement", at, userId, status: line.engagement as MessageStatus });
    } else if (typeof line.enter === "string") {
      steps.push({ kind: "enter", at, userId, journeyId: line.enter, properties });
    } else if (line.attributes !== undefined || line.timezone !== undefined || line.channels !== undefined) {
      steps.push({
        kind: "profile",
        at,
        userId,
        ...(isObject(line.attributes) ? { attributes: line.attributes } : {}),
        ...(typeof line.timezone === "string" ? { timezone: line.timezone } : {}),
        ...(isObject(line.channels) ? { channels: line.channels as never } : {}),
      });
    } else {
      issues.push({
        path,
        message: "a line needs name (event), engagement, enter, or attributes/timezone/channels",
      });
    }
  });
  return { steps, issues };
}
