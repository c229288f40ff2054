import { readFile } from "node:fs/promises";
import { buildCatalog } from "../core/catalog.js";
import { formatDuration } from "../core/duration.js";
import { parseJourney } from "../core/schema.js";
import { simulate } from "../core/simulate.js";
import { parseSimulationScript } from "../core/simulation-script.js";
import { createTemplateEngine } from "../core/template.js";
import { validateJourney } from "../core/validate.js";
import { loadReferences, readJson } from "./definitions.js";

/**
 * `journeys simulate JOURNEY.json EVENTS.ndjson`: runs the core with a virtual clock (no server,
 * no database) and prints per-node counts and each user's path.
 */
export async function simulateCommand(
  args: readonly string[],
  options: { templates?: string; segments?: string; json?: boolean; start?: string },
  out: (line: string) => void,
): Promise<number> {
  const [journeyFile, eventsFile] = args;
  if (!journeyFile || !eventsFile) {
    out("usage: journeys simulate JOURNEY.json EVENTS.ndjson [--json] [--templates DIR] [--segments DIR]");
    return 2;
  }
  const { value, issues: readIssues } = await readJson(journeyFile);
  if (value === undefined) {
    for (const issue of readIssues) out(issue.message);
    return 1;
  }
  const parsed = parseJourney(value);
  if (!parsed.ok) {
    for (const issue of parsed.issues) out(`${journeyFile}: ${issue.path || "(root)"}: ${issue.message}`);
    return 1;
  }
  const refs = await loadReferences(journeyFile, options);
  const problems = [
    ...refs.issues,
    ...validateJourney(parsed.journey, {
      templates: new Map(refs.templates.map((t) => [t.id, t])),
      segments: new Map(refs.segments.map((s) => [s.id, s])),
    }),
  ];
  if (problems.length > 0) {
    for (const issue of problems) out(`${journeyFile}: ${issue.path || "(root)"}: ${issue.message}`);
    return 1;
  }
  let text: string;
  try {
    text = await readFile(eventsFile, "utf8");
  } catch (error) {
    out(`cannot read ${eventsFile}: ${(error as Error).message}`);
    return 1;
  }
  const lines: unknown[] = [];
  const lineErrors: string[] = [];
  text.split("\n").forEach((raw, i) => {
    if (raw.trim() === "") return;
    try {
      lines.push(JSON.parse(raw));
    } catch (error) {
      lineErrors.push(`${eventsFile}:${i + 1}: not JSON: ${(error as Error).message}`);
    }
  });
  if (lineErrors.length > 0) {
    for (const line of lineErrors) out(line);
    return 1;
  }
  const start = options.start ? Date.parse(options.start) : Date.UTC(2026, 0, 1);
  const script = parseSimulationScript(lines, start);
  if (script.issues.length > 0) {
    for (const issue of script.issues) out(`${eventsFile}: line ${issue.path}: ${issue.message}`);
    return 1;
  }
  const { catalog } = buildCatalog(
    {
      journeys: [{ definition: parsed.journey, version: 1, status: "active" }],
      segments: refs.segments,
      templates: refs.templates,
    },
    createTemplateEngine(),
  );
  const result = simulate(catalog, script.steps);
  const journeyId = parsed.journey.id;
  if (options.json) {
    out(JSON.stringify({ nodes: result.nodeCounts[journeyId] ?? {}, users: result.users }, null, 2));
    return 0;
  }
  out(`journey ${journeyId}: ${result.inputs} inputs, ${result.timersFired} timers fired`);
  out("");
  out("node                 users");
  for (const node of Object.keys(parsed.journey.nodes)) {
    out(`${node.padEnd(20)} ${String(result.nodeCounts[journeyId]?.[node] ?? 0).padStart(5)}`);
  }
  out("");
  for (const user of result.users) {
    for (const path of user.paths.filter((p) => p.journeyId === journeyId)) {
      const first = path.path[0]?.at ?? 0;
      const steps = path.path.map((step) =>
        step.at === first ? step.node : `${step.node} (+${formatDuration(step.at - first)})`,
      );
      const end = path.exit ? ` -> exit: ${path.exit}` : " -> still in journey";
      const conv = path.converted !== undefined ? " [converted]" : "";
      out(`${user.userId}: ${steps.join(" -> ")}${end}${conv}`);
    }
    for (const d of user.deliveries) {
      out(
        `  ${new Date(d.createdAt).toISOString()} ${d.channel} at ${d.nodeId}${d.skipReason ? ` skipped: ${d.skipReason}` : ""}`,
      );
    }
  }
  return 0;
}
