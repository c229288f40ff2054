import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { JourneyDefinition, SegmentDefinition, TemplateDefinition } from "../../src/core/model.js";
import { BASE_JOURNEYS } from "./base-journeys.js";
import type { JourneySource } from "./journey-variants.js";

export const EXAMPLES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "examples");

/** Where the base journeys came from, for the report. */
export interface BaseJourneys extends JourneySource {
  origin: "examples" | "built-in";
  files: string[];
}

/**
 * The journeys, templates and segments of examples/ (any `*.json` below it holding a journey,
 * a template, a segment, or a bundle `{ journeys, templates, segments }`). Falls back on the
 * built-in bases when examples/ has no journey.
 */
export function loadBaseJourneys(dir = EXAMPLES_DIR): BaseJourneys {
  const journeys: JourneyDefinition[] = [];
  const templates: TemplateDefinition[] = [];
  const segments: SegmentDefinition[] = [];
  const files: string[] = [];
  for (const file of jsonFiles(dir)) {
    let body: unknown;
    try {
      body = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      continue;
    }
    const before = journeys.length + templates.length + segments.length;
    collect(body, journeys, templates, segments);
    if (journeys.length + templates.length + segments.length > before) files.push(path.relative(dir, file));
  }
  const usable = journeys.filter((j) => !("segment" in j.entry));
  if (usable.length === 0) {
    return { origin: "built-in", files: [], journeys: BASE_JOURNEYS, templates: [], segments: [] };
  }
  journeys.sort((a, b) => a.id.localeCompare(b.id));
  return { origin: "examples", files: files.sort(), journeys, templates, segments };
}

function collect(
  body: unknown,
  journeys: JourneyDefinition[],
  templates: TemplateDefinition[],
  segments: SegmentDefinition[],
): void {
  if (Array.isArray(body)) {
    for (const item of body) collect(item, journeys, templates, segments);
    return;
  }
  if (body === null || typeof body !== "object") return;
  const record = body as Record<string, unknown>;
  if (typeof record.id === "string" && typeof record.start === "string" && isObject(record.nodes)) {
    journeys.push(record as unknown as JourneyDefinition);
  } else if (
    typeof record.id === "string" &&
    typeof record.channel === "string" &&
    isObject(record.content)
  ) {
    templates.push(record as unknown as TemplateDefinition);
  } else if (typeof record.id === "string" && isObject(record.condition)) {
    segments.push(record as unknown as SegmentDefinition);
  } else {
    for (const key of ["journeys", "templates", "segments"]) {
      if (Array.isArray(record[key])) collect(record[key], journeys, templates, segments);
    }
  }
}

function jsonFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...jsonFiles(full));
    else if (name.endsWith(".json")) out.push(full);
  }
  return out;
}

function isObject(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
