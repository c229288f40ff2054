import { checkJourney } from "../core/check.js";
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
      const refs = await loadReferences(file, options);
      issues.push(...refs.issues, ...checkJourney(value, refs).issues);
    }
    if (issues.length === 0) out(`${file}: valid`);
    else {
      failed++;
      for (const issue of issues) out(`${file}: ${issue.path || "(root)"}: ${issue.message}`);
    }
  }
  return failed > 0 ? 1 : 0;
}
