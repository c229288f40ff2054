import { Context, type Drop, type Scope, type Template, UndefinedVariableError } from "liquidjs";
import { type Issue, joinPath } from "./issue.js";
import type { Content, Json, JsonObject } from "./model.js";
import type { TemplateEngine } from "./template-engine.js";

/**
 * Compiled message content: every string is parsed once and rendered per send, on the hot path.
 * A render reports the variables the message needed but the user lacked.
 */

/** What a template can read: `{{ user.firstName }}`, `{{ event.properties.cartId }}`, `{{ journey.entry.properties.total }}`. */
export interface TemplateScope {
  /** The profile: `id`, `timezone` and every attribute at the top level (`user.firstName`). */
  user: JsonObject;
  /** The event being processed, when the step was caused by one (not on timer steps). */
  event?: { name: string; properties: JsonObject };
  journey: { id: string; name?: string; version: number; entry: { properties: JsonObject } };
}

/** A key as liquidjs passes it to a lookup. */
type LiquidKey = string | number | Drop;

/**
 * A liquidjs Context that, in strict mode, remembers the name of the variable it could not find
 * and lets variables already reported read as undefined. liquidjs decides leniency (`if`,
 * `unless`, `default`) around this lookup, so only the misses it would really throw on surface.
 */
class ReportingContext extends Context {
  known: readonly string[] = [];
  miss: string | undefined;

  override *_getFromScope(
    scope: unknown,
    paths: LiquidKey[] | string,
    strictVariables: boolean = this.strictVariables,
  ): Generator<unknown, unknown, unknown> {
    const keys = typeof paths === "string" ? paths.split(".") : paths;
    if (!strictVariables) return yield* super._getFromScope(scope, keys, false);
    let value: unknown = scope;
    for (const key of keys) {
      value = yield this.readProperty(value as Scope, key);
      if (value === undefined) {
        const name = variableName(keys);
        if (this.known.includes(name)) return undefined;
        this.miss = name;
        return yield* super._getFromScope(scope, keys, true);
      }
    }
    return value;
  }
}

function variableName(keys: readonly LiquidKey[]): string {
  let name = "";
  for (const key of keys) name = joinPath(name, typeof key === "number" ? key : String(key));
  return name;
}

type Piece =
  | { readonly kind: "fixed"; readonly value: Json }
  | { readonly kind: "liquid"; readonly path: string; readonly templates: Template[] }
  | { readonly kind: "broken"; readonly path: string; readonly message: string }
  | { readonly kind: "object"; readonly keys: readonly string[]; readonly values: readonly Piece[] }
  | { readonly kind: "array"; readonly items: readonly Piece[] };

/**
 * What rendering produced: the content, the variables that were missing, and fields that failed.
 * The top-level object is new on every render; nested parts without Liquid are shared between
 * renders and frozen.
 */
export interface RenderedContent {
  content: JsonObject;
  /** Undefined variables not protected by `default` or a condition, e.g. `user.firstName`. */
  missing: string[];
  /** Fields that could not render (limits, sandbox), as `path: reason`; they render empty. */
  errors: string[];
}

/** Content whose strings were parsed once; render it per send. */
export interface CompiledContent {
  render(scope: TemplateScope): RenderedContent;
}

export interface RenderState {
  missing: string[];
  errors: string[];
}

/** A string field of compiled content, for validation. */
export interface LiquidField {
  /** Path inside the content (`body`, `data.url`). */
  path: string;
  templates: Template[];
}

/** CompiledContent with access to its fields, for publish-time checks. */
export class LiquidContent implements CompiledContent {
  constructor(
    private readonly engine: TemplateEngine,
    private readonly root: Piece,
  ) {}

  render(scope: TemplateScope): RenderedContent {
    const state: RenderState = { missing: [], errors: [] };
    const rendered = this.renderPiece(this.root, scope, state);
    const content = isObject(rendered) ? rendered : {};
    return { content, missing: state.missing, errors: state.errors };
  }

  /** Every Liquid string, for static checks. */
  fields(): LiquidField[] {
    const out: LiquidField[] = [];
    const visit = (piece: Piece): void => {
      if (piece.kind === "liquid") out.push({ path: piece.path, templates: piece.templates });
      else if (piece.kind === "object") piece.values.forEach(visit);
      else if (piece.kind === "array") piece.items.forEach(visit);
    };
    visit(this.root);
    return out;
  }

  renderField(field: LiquidField, scope: TemplateScope, state: RenderState): string {
    return this.renderString(field.path, field.templates, scope, state);
  }

  private renderPiece(piece: Piece, scope: TemplateScope, state: RenderState): Json {
    switch (piece.kind) {
      case "fixed":
        return piece.value;
      case "liquid":
        return this.renderString(piece.path, piece.templates, scope, state);
      case "broken":
        state.errors.push(`${piece.path}: ${piece.message}`);
        return "";
      case "object": {
        const out: JsonObject = {};
        for (let i = 0; i < piece.keys.length; i++) {
          out[piece.keys[i] as string] = this.renderPiece(piece.values[i] as Piece, scope, state);
        }
        return out;
      }
      case "array":
        return piece.items.map((item) => this.renderPiece(item, scope, state));
      default: {
        const never: never = piece;
        throw new TypeError(`unknown content piece ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Renders strictly; each undefined variable aborts the render, is recorded, and the render
   * restarts with it tolerated. Content with every variable defined (the common case) renders once.
   */
  private renderString(
    path: string,
    templates: Template[],
    scope: TemplateScope,
    state: RenderState,
  ): string {
    const { liquid, limits } = this.engine;
    for (;;) {
      const strict = state.missing.length < limits.maxMissing;
      const ctx = new ReportingContext(
        scope,
        liquid.options,
        { sync: true, strictVariables: strict },
        { liquid },
      );
      ctx.known = state.missing;
      // A missing variable is reported by an exception; V8 formats a stack trace for each one,
      // which costs more than the render itself. Nothing here reads stacks, so capture none.
      const stackLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        return String(liquid.renderSync(templates, ctx) ?? "");
      } catch (error) {
        const miss = ctx.miss;
        if (
          strict &&
          error instanceof UndefinedVariableError &&
          miss !== undefined &&
          !state.missing.includes(miss)
        ) {
          state.missing.push(miss);
          continue;
        }
        state.errors.push(`${path || "(content)"}: ${errorMessage(error)}`);
        return "";
      } finally {
        Error.stackTraceLimit = stackLimit;
      }
    }
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isObject(value: Json): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function hasMarkup(text: string): boolean {
  return text.includes("{{") || text.includes("{%");
}

/** A deep copy that nobody can change: constant parts of the content are shared by every render. */
function frozen(value: Json): Json {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return Object.freeze(value.map(frozen)) as Json;
  const copy: JsonObject = {};
  for (const [key, inner] of Object.entries(value)) copy[key] = frozen(inner);
  return Object.freeze(copy);
}

function compilePiece(
  engine: TemplateEngine,
  value: Json,
  path: string,
  base: string,
  issues: Issue[],
): Piece {
  if (typeof value === "string") {
    if (!hasMarkup(value)) return { kind: "fixed", value };
    try {
      return { kind: "liquid", path, templates: engine.liquid.parse(value) };
    } catch (error) {
      const message = `invalid Liquid: ${errorMessage(error)}`;
      issues.push({ path: joinRelative(base, path), message });
      return { kind: "broken", path, message };
    }
  }
  if (value === null || typeof value !== "object") return { kind: "fixed", value };
  if (Array.isArray(value)) {
    const items = value.map((item, i) => compilePiece(engine, item, joinPath(path, i), base, issues));
    return items.every((item) => item.kind === "fixed")
      ? { kind: "fixed", value: frozen(value) }
      : { kind: "array", items };
  }
  const keys = Object.keys(value);
  const values = keys.map((key) =>
    compilePiece(engine, value[key] as Json, joinPath(path, key), base, issues),
  );
  return values.every((piece) => piece.kind === "fixed")
    ? { kind: "fixed", value: frozen(value) }
    : { kind: "object", keys, values };
}

/** `base` + a path relative to it (`templates.x.content` + `data.url`, or + `[0]`). */
export function joinRelative(base: string, relative: string): string {
  if (relative === "") return base;
  if (base === "") return relative;
  return relative.startsWith("[") ? base + relative : `${base}.${relative}`;
}

/** compileContent, keeping the fields visible to the checks in template.ts. */
export function compileLiquid(
  engine: TemplateEngine,
  content: Content,
  path: string,
  issues: Issue[],
): LiquidContent {
  const root = compilePiece(engine, content, "", path, issues);
  // The root is always rendered into a fresh object so callers own what they receive.
  const shell: Piece =
    root.kind === "fixed" && isObject(root.value)
      ? {
          kind: "object",
          keys: Object.keys(root.value),
          values: Object.values(root.value).map((value) => ({ kind: "fixed", value })),
        }
      : root;
  return new LiquidContent(engine, shell);
}

/**
 * Parses every string in `content` (nested objects and arrays included) once as Liquid; syntax
 * errors are appended to `issues` at the string's path under `path`, and such a field renders
 * empty with an error.
 */
export function compileContent(
  engine: TemplateEngine,
  content: Content,
  path: string,
  issues: Issue[],
): CompiledContent {
  return compileLiquid(engine, content, path, issues);
}
