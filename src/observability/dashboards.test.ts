import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { emptyChanges, type LogRecord, type ProjectChanges } from "../store/types.js";
import { JourneysMetrics } from "./metrics.js";
import { parseExposition } from "./testing/exposition.js";

const dashboards = join(import.meta.dirname, "..", "..", "dashboards");
const dashboard = JSON.parse(readFileSync(join(dashboards, "journeys.json"), "utf8")) as {
  panels: { title: string; targets?: { expr: string }[] }[];
};
const alerts = readFileSync(join(dashboards, "alerts.yml"), "utf8");
const expressions = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));

function metricNames(text: string): Set<string> {
  return new Set(text.match(/\b(?:journeys|process|nodejs)_[a-z0-9_]+\b/g) ?? []);
}

/** A registry in which every metric has at least one series, as on a busy server. */
async function exposedNames(): Promise<Set<string>> {
  const metrics = new JourneysMetrics({ clock: { now: () => 10_000 } });
  metrics.watch(
    {
      partitions: 2,
      log: { end: async () => 5 },
      consumed: () => 3,
      store: {
        countTimers: async () => 7,
        waitingCounts: async () => [{ node: "wait", waiting: 2 }],
      },
      timersInMemory: () => 1,
      journeys: async () => [{ project: "p", journeyId: "cart" }],
    },
    { path: ":memory:", isOpen: true, db: { pragma: () => 4096 } },
  );
  const entry = { project: "p", partition: 0, offset: 1, appendedAt: 9_000 } as const;
  const changes: ProjectChanges = {
    ...emptyChanges("p"),
    counters: [{ journeyId: "cart", node: "wait", entered: 1, exited: 1, converted: 1 }],
  };
  metrics.engine.onBatch({
    partition: 0,
    entries: [
      { ...entry, input: { kind: "event", id: "e", userId: "u", name: "x", properties: {}, timestamp: 0 } },
    ] as LogRecord[],
    timers: [],
    skipped: 0,
    deliveries: 0,
    emitted: 0,
    transitions: 1,
    startedAt: 9_500,
    committedAt: 10_000,
    changes: [changes],
  });
  metrics.engine.onIngest("p", 2, 1);
  metrics.engine.onReject("invalid");
  metrics.engine.onError("executor");
  metrics.engine.onTimerFired(3);
  const attempt = { project: "p", channel: "push", provider: "fcm", latencyMs: 20, createdAt: 9_000 };
  metrics.delivery.attempt({ ...attempt, outcome: "sent" });
  metrics.delivery.attempt({ ...attempt, outcome: "dead" });
  metrics.delivery.breaker("fcm", "open");
  metrics.delivery.deadLetters(4);
  const { body } = await metrics.render();
  return new Set(parseExposition(body).map((sample) => sample.name));
}

/** A histogram's name without its `_bucket`, `_sum` or `_count` suffix. */
function family(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, "");
}

function promtool(): boolean {
  try {
    execFileSync("promtool", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("dashboards/ (Grafana dashboard and Prometheus alert rules)", () => {
  it("query only metrics the server exposes", async () => {
    const exposed = await exposedNames();
    for (const name of [...exposed]) exposed.add(family(name));
    const used = new Set([...metricNames(expressions.join("\n")), ...metricNames(alerts)]);
    const missing = [...used].filter((name) => !exposed.has(name));
    assert.deepEqual(missing, []);
    assert.ok(used.size > 20);
  });

  it("cover every journeys_ metric the server exposes", async () => {
    const exposed = [...(await exposedNames())].filter((name) => name.startsWith("journeys_"));
    const used = metricNames(expressions.join("\n"));
    const shown = new Set([...used].map(family));
    assert.deepEqual(
      exposed.filter((name) => !shown.has(family(name))),
      [],
    );
  });

  it("are valid PromQL and the alert rules pass their unit tests (promtool)", (t) => {
    if (!promtool()) {
      t.skip("promtool is not installed (apt-get install prometheus)");
      return;
    }
    execFileSync("promtool", ["check", "rules", join(dashboards, "alerts.yml")], { stdio: "pipe" });
    execFileSync("promtool", ["test", "rules", join(dashboards, "alerts.test.yml")], { stdio: "pipe" });
    // The dashboard's queries, with Grafana's variables filled in, checked as recording rules.
    const dir = mkdtempSync(join(tmpdir(), "journeys-dashboard-"));
    try {
      const rules = expressions
        .map((expr, i) => {
          const filled = expr.replaceAll("$__rate_interval", "5m").replace(/\$\w+/g, ".*");
          return `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(filled)}`;
        })
        .join("\n");
      const file = join(dir, "dashboard-rules.yml");
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules}\n`);
      execFileSync("promtool", ["check", "rules", file], { stdio: "pipe" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
