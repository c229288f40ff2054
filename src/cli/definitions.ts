import { readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Issue } from "../core/issue.js";
import type { SegmentDefinition, TemplateDefinition } from "../core/model.js";
import { parseSegment, parseTemplate } from "../core/schema.js";

/** Reads a JSON file, reporting a parse error as an issue at the root instead of throwing. */
export async function readJson(file: string): Promise<{ value?: unknown; issues: Issue[] }> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    return {
      issues: [
        {
          path: "",
          message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        },
      ],
    };
  }
  try {
    return { value: JSON.parse(text), issues: [] };
  } catch (error) {
    return { issues: [{ path: "", message: `${file} is not valid JSON: ${(error as Error).message}` }] };
  }
}

async function jsonFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => name.endsWith(".json")).map((name) => join(dir, name));
  } catch {
    return [];
  }
}

/**
 * The templates and segments a journey file can reference: `templates/*.json` and
 * `segments/*.json` beside it (the layout of `examples/`), or the folders given.
 */
export async function loadReferences(
  journeyFile: string,
  folders: { templates?: string; segments?: string } = {},
): Promise<{ templates: TemplateDefinition[]; segments: SegmentDefinition[]; issues: Issue[] }> {
  const base = dirname(journeyFile);
  const issues: Issue[] = [];
  const templates: TemplateDefinition[] = [];
  const segments: SegmentDefinition[] = [];
  for (const file of await jsonFiles(folders.templates ?? join(base, "templates"))) {
    const { value, issues: readIssues } = await readJson(file);
    issues.push(...readIssues);
    if (value === undefined) continue;
    const parsed = parseTemplate(value);
    if (parsed.ok) templates.push(parsed.template);
    else issues.push(...parsed.issues.map((i) => ({ path: `${file}:${i.path}`, message: i.message })));
  }
  for (const file of await jsonFiles(folders.segments ?? join(base, "segments"))) {
    const { value, issues: readIssues } = await readJson(file);
    issues.push(...readIssues);
    if (value === undefined) continue;
    const parsed = parseSegment(value);
    if (parsed.ok) segments.push(parsed.segment);
    else issues.push(...parsed.issues.map((i) => ({ path: `${file}:${i.path}`, message: i.message })));
  }
  return { templates, segments, issues };
}
