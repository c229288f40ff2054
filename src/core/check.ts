import type { Issue } from "./issue.js";
import type { JourneyDefinition, SegmentDefinition, TemplateDefinition } from "./model.js";
import { parseJourney } from "./schema.js";
import { validateJourney } from "./validate.js";

type Refs = Parameters<typeof validateJourney>[1];

function hasGraphShape(json: unknown): json is JourneyDefinition {
  if (json === null || typeof json !== "object" || Array.isArray(json)) return false;
  const nodes = (json as { nodes?: unknown }).nodes;
  if (nodes === null || typeof nodes !== "object" || Array.isArray(nodes)) return false;
  return Object.values(nodes).every(
    (node) => node !== null && typeof node === "object" && !Array.isArray(node),
  );
}

/**
 * Every problem with a journey at once: schema errors and, even when the schema rejects some
 * parts, the graph checks (unknown nodes, unreachable nodes, ungated cycles...) on what can be
 * read, so an author fixes everything in one pass.
 */
export function checkJourney(
  json: unknown,
  refs:
    | { templates: Refs["templates"]; segments: Refs["segments"] }
    | { templates: TemplateDefinition[]; segments: SegmentDefinition[] },
): { journey?: JourneyDefinition; issues: Issue[] } {
  const references: Refs = Array.isArray(refs.templates)
    ? {
        templates: new Map(refs.templates.map((t) => [t.id, t])),
        segments: new Map((refs.segments as SegmentDefinition[]).map((s) => [s.id, s])),
      }
    : (refs as Refs);
  const parsed = parseJourney(json);
  if (parsed.ok) return { journey: parsed.journey, issues: validateJourney(parsed.journey, references) };
  const issues = [...parsed.issues];
  if (hasGraphShape(json)) {
    try {
      const seen = new Set(issues.map((issue) => `${issue.path}\u001f${issue.message}`));
      for (const issue of validateJourney(json, references)) {
        // Paths the schema already rejected would only repeat the same problem in other words.
        if (issues.some((known) => issue.path.startsWith(known.path) && known.path !== "")) continue;
        const id = `${issue.path}\u001f${issue.message}`;
        if (!seen.has(id)) {
          seen.add(id);
          issues.push(issue);
        }
      }
    } catch {
      // A definition too malformed for the graph checks: the schema errors say what to fix first.
    }
  }
  return { issues };
}
