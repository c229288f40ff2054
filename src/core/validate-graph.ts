import { isGated, needsInput } from "./gates.js";
import { type Issue, joinPath } from "./issue.js";
import type { JourneyDefinition } from "./model.js";

/**
 * Checks of the journey as a graph: every node name resolves, every node can be reached, no loop
 * can spin without waiting, no edge hides behind one that always holds, and (when the journey
 * asks for it) no node can hold a user forever.
 */

interface Arc {
  from: string;
  index: number;
  to: string;
  gated: boolean;
}

/** Every graph problem of a journey, in document order, each with its JSON path. */
export function checkGraph(journey: JourneyDefinition): Issue[] {
  const issues: Issue[] = [];
  const nodes = journey.nodes ?? {};
  const ids = Object.keys(nodes);
  const exists = (id: string) => Object.hasOwn(nodes, id);
  const nodePath = (id: string) => joinPath("nodes", id);

  if (!exists(journey.start)) {
    issues.push({ path: "start", message: `unknown node "${journey.start}"${suggest(journey.start, ids)}` });
  }
  const arcs: Arc[] = [];
  for (const id of ids) {
    const edges = nodes[id]?.edges ?? [];
    let always: number | undefined;
    for (const [index, edge] of edges.entries()) {
      const at = joinPath(joinPath(nodePath(id), "edges"), index);
      if (always !== undefined) {
        issues.push({
          path: at,
          message: `never taken: edge ${always} has no condition and always holds first`,
        });
      }
      if (edge.when === undefined && always === undefined) always = index;
      if (!exists(edge.to)) {
        issues.push({
          path: joinPath(at, "to"),
          message: `unknown node "${edge.to}"${suggest(edge.to, ids)}`,
        });
      } else {
        arcs.push({ from: id, index, to: edge.to, gated: isGated(edge.when) });
      }
    }
  }
  for (const [old, target] of Object.entries(journey.migrate ?? {})) {
    if (!exists(target)) {
      issues.push({
        path: joinPath("migrate", old),
        message: `unknown node "${target}"${suggest(target, ids)}`,
      });
    }
  }
  if (exists(journey.start)) {
    // Migrated users arrive on migrate targets without an edge.
    const roots = [journey.start, ...Object.values(journey.migrate ?? {}).filter(exists)];
    const reached = reachable(roots, arcs);
    for (const id of ids) {
      if (!reached.has(id)) {
        issues.push({
          path: nodePath(id),
          message: `unreachable: no edge from the start node "${journey.start}" leads here`,
        });
      }
    }
  }
  for (const cycle of ungatedCycles(ids, arcs)) {
    const first = cycle[0] as Arc;
    const names = [...cycle.map((arc) => arc.from), first.from].join(" → ");
    issues.push({
      path: joinPath(joinPath(nodePath(first.from), "edges"), first.index),
      message: `users can loop ${names} without waiting: give one of these edges an after, at (localTime), event or message condition`,
    });
  }
  if (journey.settings?.requireTimeouts) {
    for (const id of ids) {
      const edges = nodes[id]?.edges ?? [];
      if (edges.length > 0 && edges.every((edge) => needsInput(edge.when))) {
        issues.push({
          path: joinPath(nodePath(id), "edges"),
          message:
            'every edge waits for an event or a message, so a user can stay here forever: add a timeout edge such as { "to": "...", "when": { "after": "3d" } } (settings.requireTimeouts)',
        });
      }
    }
  }
  return issues;
}

function reachable(roots: readonly string[], arcs: readonly Arc[]): Set<string> {
  const next = new Map<string, string[]>();
  for (const arc of arcs) next.set(arc.from, [...(next.get(arc.from) ?? []), arc.to]);
  const seen = new Set(roots);
  const queue = [...roots];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    for (const to of next.get(id) ?? []) {
      if (!seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return seen;
}

/**
 * One concrete loop per strongly connected group of nodes joined by ungated edges (edges that
 * can hold the moment a user arrives). Tarjan's algorithm finds the groups; a breadth-first search
 * inside each names a shortest loop through its first node, for the message.
 */
function ungatedCycles(ids: readonly string[], arcs: readonly Arc[]): Arc[][] {
  const out = new Map<string, Arc[]>();
  for (const arc of arcs) if (!arc.gated) out.set(arc.from, [...(out.get(arc.from) ?? []), arc]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const connect = (id: string): void => {
    index.set(id, index.size);
    low.set(id, index.get(id) as number);
    stack.push(id);
    onStack.add(id);
    for (const arc of out.get(id) ?? []) {
      if (!index.has(arc.to)) {
        connect(arc.to);
        low.set(id, Math.min(low.get(id) as number, low.get(arc.to) as number));
      } else if (onStack.has(arc.to)) {
        low.set(id, Math.min(low.get(id) as number, index.get(arc.to) as number));
      }
    }
    if (low.get(id) === index.get(id)) {
      const group: string[] = [];
      for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
        onStack.delete(member);
        group.push(member);
        if (member === id) break;
      }
      groups.push(group);
    }
  };
  for (const id of ids) if (!index.has(id)) connect(id);

  const order = new Map(ids.map((id, i) => [id, i]));
  const cycles: Arc[][] = [];
  for (const group of groups) {
    const members = new Set(group);
    const head = [...group].sort((a, b) => (order.get(a) as number) - (order.get(b) as number))[0] as string;
    const loop = shortestLoop(head, members, out);
    if (loop) cycles.push(loop);
  }
  return cycles.sort(
    (a, b) => (order.get((a[0] as Arc).from) as number) - (order.get((b[0] as Arc).from) as number),
  );
}

function shortestLoop(
  head: string,
  members: ReadonlySet<string>,
  out: ReadonlyMap<string, Arc[]>,
): Arc[] | undefined {
  const via = new Map<string, Arc>();
  const queue = [head];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    for (const arc of out.get(id) ?? []) {
      if (!members.has(arc.to)) continue;
      if (arc.to === head) {
        const loop = [arc];
        for (let step = via.get(arc.from); step !== undefined; step = via.get(step.from)) loop.unshift(step);
        return loop;
      }
      if (!via.has(arc.to)) {
        via.set(arc.to, arc);
        queue.push(arc.to);
      }
    }
  }
  return undefined;
}

/** ` (did you mean "push"?)` when a known id is one or two edits away. */
export function suggest(name: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best === undefined ? "" : ` (did you mean "${best}"?)`;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}
