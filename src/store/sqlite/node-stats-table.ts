import type { NodeCounter, NodeStats } from "../types.js";
import type { SqliteDatabase } from "./driver.js";
import { prepareSqlFile, type Statements } from "./sql-files.js";

const STATEMENTS = ["addCounters", "counters", "deliveryOutcomes"] as const;

/**
 * Per node journey statistics: counters kept by commits (the waiting count among them, which
 * erasure moves too), and send outcomes counted live.
 */
export class NodeStatsTable {
  private readonly sql: Statements<typeof STATEMENTS>;

  constructor(db: SqliteDatabase) {
    this.sql = prepareSqlFile(db, "stats.sql", STATEMENTS);
  }

  add(project: string, counters: readonly NodeCounter[]): void {
    for (const c of counters) {
      this.sql.addCounters.run(
        project,
        c.journeyId,
        c.node,
        c.entered,
        c.exited,
        c.converted,
        c.waiting ?? 0,
      );
    }
  }

  /** The waiting count of every node that has any stats, ordered by node id. */
  waiting(project: string, journeyId: string): { node: string; waiting: number }[] {
    const rows = this.sql.counters.all(project, journeyId) as { node: string; waiting: number }[];
    return rows.map(({ node, waiting }) => ({ node, waiting }));
  }

  /** Stats of every node that has any, ordered by node id. */
  stats(project: string, journeyId: string): NodeStats[] {
    const nodes = new Map<string, NodeStats>();
    const of = (node: string): NodeStats => {
      let stats = nodes.get(node);
      if (!stats) {
        stats = { node, entered: 0, waiting: 0, exited: 0, converted: 0, sent: 0, failed: 0 };
        nodes.set(node, stats);
      }
      return stats;
    };
    type Counters = { node: string; entered: number; exited: number; converted: number; waiting: number };
    for (const row of this.sql.counters.all(project, journeyId) as Counters[]) {
      const stats = of(row.node);
      stats.entered = row.entered;
      stats.exited = row.exited;
      stats.converted = row.converted;
      stats.waiting = row.waiting;
    }
    type Outcomes = { node: string; sent: number; failed: number };
    for (const row of this.sql.deliveryOutcomes.all(project, journeyId) as Outcomes[]) {
      const stats = of(row.node);
      stats.sent = row.sent;
      stats.failed = row.failed;
    }
    return [...nodes.values()].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  }
}
