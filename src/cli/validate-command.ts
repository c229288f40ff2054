import { parseJourney } from "../core/schema.js";
import { validateJourney } from "../core/validate.js";
import { loadReferences, readJson } from "./definitions.js";

/** `journeys validate FILE...`: prints every problem as `file: path: message`; exit code 1 if any. */
export async function validateCommand(
  files: readonly string[],
  options: { templates?: string; segments?: string },
  out: (line: string) => void,
): Promise<number> {
  if (files.length === 0) {
    out("usage: journeys validate JOURNEY.json [...] [--templates DIR] [--segments DIR]");
    return 2;
  }
  let failed = 0;
  for (const file of files) {
    const { value, issues: readIssues } = await readJson(file);
    const issues = [...readIssues];
    if (value !== undefined) {
      const parsed = parseJourney(value);
      if (!parsed.ok) issues.push(...parsed.issues);
      else {
        const refs = await loadReferences(file, options);
        issues.push(...refs.issues);
        issues.push(
          ...validateJourney(parsed.journey, {
            templates: new Map(refs.templates.map((t) => [t.id, t])),
            segments: new Map(refs.segments.map((s) => [s.id, s])),
          }),
        );
      }
    }
    if (issues.length === 0) out(`${file}: valid`);
    else {
      failed++;
      for (const issue of issues) out(`${file}: ${issue.path || "(root)"}: ${issue.message}`);
    }
  }
  return failed > 0 ? 1 : 0;
}
