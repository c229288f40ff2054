import { analyzeSync, type Variable } from "liquidjs";
import { type Issue, joinPath } from "./issue.js";
import type { Content, JourneyDefinition, TemplateDefinition } from "./model.js";
import {
  compileLiquid,
  errorMessage,
  joinRelative,
  type RenderState,
  type TemplateScope,
} from "./template-content.js";
import type { TemplateEngine } from "./template-engine.js";

/**
 * Liquid message templates (DESIGN.md §2). Content is compiled once (template-content.ts) and
 * rendered per send by a sandboxed engine (template-engine.ts); this module is their public face
 * and the publish-time checks.
 */

export {
  type CompiledContent,
  compileContent,
  type RenderedContent,
  type TemplateScope,
} from "./template-content.js";
export {
  createTemplateEngine,
  DEFAULT_TEMPLATE_LIMITS,
  type TemplateEngine,
  type TemplateLimits,
  TemplateSandboxError,
} from "./template-engine.js";

/**
 * A stand-in scope for publish-time checks. User attributes, event properties and entry
 * properties are unknown until a real user arrives, so checkContent treats every path under
 * `user.`, `event.properties.` and `journey.entry.properties.` as defined; everything else
 * (`journey.id`, `event.name`, and unknown roots such as `usr.name`) is checked against this.
 */
export function sampleScope(journey?: JourneyDefinition): TemplateScope {
  const entry = journey?.entry;
  return {
    user: { id: "sample-user", timezone: journey?.settings?.timezone ?? "UTC" },
    event: { name: entry && "event" in entry ? entry.event : "sample_event", properties: {} },
    journey: {
      id: journey?.id ?? "sample-journey",
      name: journey?.name ?? journey?.id ?? "Sample journey",
      version: 1,
      entry: { properties: {} },
    },
  };
}

/** Checks that a template parses and renders against `sample`; issues sit under `path` (the template's own path). */
export function validateTemplate(
  engine: TemplateEngine,
  template: TemplateDefinition,
  sample: TemplateScope,
  path: string,
): Issue[] {
  return checkContent(engine, template.content, sample, joinPath(path, "content"));
}

/**
 * Checks content for publishing: Liquid syntax, variables that exist in no scope (found by
 * static analysis, so branches the sample does not take are checked too), and fields that fail
 * to render against `sample`. Paths under the open roots (see sampleScope) are never reported.
 */
export function checkContent(
  engine: TemplateEngine,
  content: Content,
  sample: TemplateScope,
  path: string,
): Issue[] {
  const issues: Issue[] = [];
  const compiled = compileLiquid(engine, content, path, issues);
  for (const field of compiled.fields()) {
    const at = joinRelative(path, field.path);
    const reported = new Set<string>();
    const report = (name: string) => {
      if (reported.has(name)) return;
      reported.add(name);
      issues.push({ path: at, message: `"${name}" is not defined: ${SCOPE_HINT}` });
    };
    let globals: Variable[] = [];
    try {
      globals = Object.values(analyzeSync(field.templates, { partials: false }).globals).flat();
    } catch (error) {
      issues.push({ path: at, message: `cannot analyse the template: ${errorMessage(error)}` });
    }
    for (const variable of globals) {
      const { keys, dynamic } = staticKeys(variable);
      if (isOpen(keys, dynamic) || resolves(sample, keys, dynamic)) continue;
      report(variable.toString());
    }
    const state: RenderState = { missing: [], errors: [] };
    compiled.renderField(field, sample, state);
    for (const name of state.missing) if (!OPEN_NAME.test(name)) report(name);
    for (const error of state.errors)
      issues.push({ path: at, message: error.slice(error.indexOf(": ") + 2) });
  }
  return issues;
}

const SCOPE_HINT =
  "templates read user.* (id, timezone, attributes), event.name, event.properties.*, journey.id, journey.name, journey.version and journey.entry.properties.*";

/** Missing-variable names (joinPath form) under the open roots. */
const OPEN_NAME = /^(?:user|event\.properties|journey\.entry\.properties)[.[]/;

/** The literal keys of a variable up to its first computed one (`user[event.properties.k]` -> user). */
function staticKeys(variable: Variable): { keys: (string | number)[]; dynamic: boolean } {
  const keys: (string | number)[] = [];
  for (const segment of variable.segments) {
    if (typeof segment !== "string" && typeof segment !== "number") return { keys, dynamic: true };
    keys.push(segment);
  }
  return { keys, dynamic: false };
}

function isOpen(keys: readonly (string | number)[], dynamic: boolean): boolean {
  const [root, second, third] = keys;
  const deeper = (length: number) => keys.length > length || (keys.length === length && dynamic);
  if (root === "user") return deeper(1);
  if (root === "event" && second === "properties") return deeper(2);
  if (root === "journey" && second === "entry" && third === "properties") return deeper(3);
  return false;
}

/** Whether the literal keys lead somewhere in the sample (Liquid's size/first/last included). */
function resolves(sample: TemplateScope, keys: readonly (string | number)[], dynamic: boolean): boolean {
  let value: unknown = sample;
  for (const key of keys) {
    if (value === null || value === undefined) return false;
    if (typeof value === "object" && Object.hasOwn(value, key)) {
      value = (value as Record<string | number, unknown>)[key];
    } else if (key === "size" || key === "first" || key === "last") {
      return true;
    } else {
      return false;
    }
  }
  // A computed key into an object may name anything in it.
  return value !== undefined && (!dynamic || (value !== null && typeof value === "object"));
}
