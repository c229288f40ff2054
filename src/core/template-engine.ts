import { type FilterImplOptions, Liquid } from "liquidjs";

type FilterHandler = Extract<FilterImplOptions, (...args: never[]) => unknown>;

/**
 * The sandboxed Liquid engine: no file system, no clock, no randomness, own properties only, and
 * size and time limits on every parse and render.
 */

export interface TemplateLimits {
  /** Longest template string, in characters (liquidjs `parseLimit`). */
  parseLimit: number;
  /** Longest render of one string, in milliseconds (liquidjs `renderLimit`): a guard, not a budget. */
  renderLimit: number;
  /** Allocation budget of one string's render (liquidjs `memoryLimit`: characters, array items...). */
  memoryLimit: number;
  /** Undefined variables reported per render; further ones render empty without being listed. */
  maxMissing: number;
}

export const DEFAULT_TEMPLATE_LIMITS: Readonly<TemplateLimits> = Object.freeze({
  parseLimit: 1_000_000,
  renderLimit: 1_000,
  memoryLimit: 10_000_000,
  maxMissing: 32,
});

/** A configured, sandboxed Liquid engine; stateless after creation, so one can serve every journey. */
export interface TemplateEngine {
  readonly liquid: Liquid;
  readonly limits: Readonly<TemplateLimits>;
}

/** Raised by sandboxed tags and filters; surfaces as a parse issue or a render error. */
export class TemplateSandboxError extends Error {
  readonly code = "TEMPLATE_SANDBOX";
  constructor(message: string) {
    super(message);
    this.name = "TemplateSandboxError";
  }
}

const FILE_TAGS = ["include", "render", "layout"] as const;
const DATE_FILTERS = [
  "date",
  "date_to_xmlschema",
  "date_to_rfc822",
  "date_to_string",
  "date_to_long_string",
] as const;

/** Creates the sandboxed Liquid engine used to compile and render message content. */
export function createTemplateEngine(limits: Partial<TemplateLimits> = {}): TemplateEngine {
  const merged = Object.freeze({ ...DEFAULT_TEMPLATE_LIMITS, ...limits });
  const liquid = new Liquid({
    // An empty in-memory map replaces the file system for every lookup; the file tags are also
    // refused at parse time below, so a template never reaches for a file.
    templates: {},
    relativeReference: false,
    dynamicPartials: false,
    cache: false,
    // Undefined variables are detected per render (strict mode with the reporting context below);
    // lenientIf keeps `{% if user.x %}` and `{{ user.x | default: "..." }}` from counting as missing.
    strictVariables: false,
    lenientIf: true,
    // An unknown filter is a typo to report at publish time, not an output to silently skip.
    strictFilters: true,
    ownPropertyOnly: true,
    // Fixed zone and locale: the same template renders the same bytes on every machine.
    timezoneOffset: 0,
    locale: "en-US",
    parseLimit: merged.parseLimit,
    renderLimit: merged.renderLimit,
    memoryLimit: merged.memoryLimit,
  });
  for (const tag of FILE_TAGS) {
    liquid.registerTag(tag, {
      parse() {
        throw new TemplateSandboxError(
          `{% ${tag} %} is not available: message templates cannot load other templates`,
        );
      },
      render() {},
    });
  }
  // `sample` draws Math.random(): the core is deterministic, so the filter does not exist here.
  liquid.unregisterFilter("sample");
  for (const name of DATE_FILTERS) {
    const original = liquid.filters[name];
    if (original) liquid.registerFilter(name, withoutClock(name, original));
  }
  return { liquid, limits: merged };
}

/** Date filters refuse "now" and "today": reading the clock would make renders unrepeatable. */
function withoutClock(name: string, original: FilterImplOptions): FilterImplOptions {
  const handler: FilterHandler = typeof original === "function" ? original : original.handler;
  const guarded: FilterHandler = function (
    this: ThisParameterType<FilterHandler>,
    value: unknown,
    ...args: unknown[]
  ) {
    if (value === "now" || value === "today") {
      throw new TemplateSandboxError(
        `${name}: "${value}" reads the clock, which templates cannot do; use a timestamp from the event or the profile`,
      );
    }
    return handler.call(this, value, ...args);
  };
  return typeof original === "function" ? guarded : { handler: guarded, raw: original.raw };
}
