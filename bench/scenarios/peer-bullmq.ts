import type { ScenarioResult } from "../lib/results.js";
import { bytes, ms, num, ratio, type Table } from "../lib/table.js";
import { type BullmqFigures, measureBullmq } from "../peer/bullmq-timers.js";
import { startRedis } from "../peer/redis-server.js";
import type { Scenario } from "./context.js";
import { measureJourneysTimers, type TimerFigures, timerSizes } from "./timers.js";

/**
 * Journeys timers against BullMQ delayed jobs on a real redis-server, same counts, same machine,
 * same run. Reuses the timers scenario's figures when it ran just before with the same sizes.
 */
export const peerBullmq: Scenario = {
  name: "peer-bullmq",
  summary: "the same waits as BullMQ delayed jobs on redis-server: schedule rate, memory per timer, lateness",
  async run(context) {
    const sizes = timerSizes(context);
    const earlier = context.earlier.get("timers")?.figures as TimerFigures | undefined;
    const reuse = earlier && JSON.stringify(earlier.sizes) === JSON.stringify(sizes);
    let journeys: TimerFigures;
    if (earlier && reuse) {
      context.log("  Journeys side: figures of the timers scenario of this run");
      journeys = earlier;
    } else {
      journeys = await measureJourneysTimers(context);
    }
    context.log("  starting redis-server (installing it if missing)...");
    const redis = await startRedis(context.dir);
    let bull: BullmqFigures;
    try {
      bull = { redisVersion: redis.version, ...(await measureBullmq(redis.port, sizes, context.log)) };
    } finally {
      await redis.stop();
    }
    const rows: (string | number)[][] = [];
    for (let i = 0; i < sizes.targets.length; i++) {
      const j = journeys.schedule[i];
      const b = bull.schedule[i];
      if (!j || !b) continue;
      const at = `@${num(j.scheduled)}`;
      rows.push([`schedule/s ${at}`, num(j.perS), num(b.perS), ratio(j.perS / b.perS)]);
      rows.push([
        `memory/timer ${at} (RSS; Redis used_memory)`,
        bytes(j.rssPerTimer),
        bytes(b.memoryPerTimer),
        ratio(j.rssPerTimer / b.memoryPerTimer),
      ]);
      if (j.rssPerAddedTimer !== null) {
        rows.push([
          `  Journeys RSS per added timer ${at}`,
          bytes(j.rssPerAddedTimer),
          "-",
          ratio(j.rssPerAddedTimer / b.memoryPerTimer),
        ]);
      }
      rows.push([
        `  Journeys disk/timer (all rows) ${at}`,
        bytes(j.diskPerTimer),
        "-",
        ratio(j.diskPerTimer / b.memoryPerTimer),
      ]);
      rows.push([
        `  Journeys timer rows/timer ${at}`,
        bytes(j.timerRowsPerTimer),
        "-",
        ratio(j.timerRowsPerTimer / b.memoryPerTimer),
      ]);
    }
    const jf = journeys.fire;
    const bf = bull.fire;
    rows.push([
      "firing rate observed /s",
      num(jf.observedPerS),
      num(bf.observedPerS),
      ratio(jf.observedPerS / bf.observedPerS),
    ]);
    rows.push([
      "lateness p50 ms",
      ms(jf.committed.p50),
      ms(bf.lateness.p50),
      ratio(jf.committed.p50 / bf.lateness.p50),
    ]);
    rows.push([
      "lateness p99 ms",
      ms(jf.committed.p99),
      ms(bf.lateness.p99),
      ratio(jf.committed.p99 / bf.lateness.p99),
    ]);
    rows.push([
      "lateness max ms",
      ms(jf.committed.max),
      ms(bf.lateness.max),
      ratio(jf.committed.max / bf.lateness.max),
    ]);
    const table: Table = {
      title: `peer: Journeys (SQLite) vs BullMQ delayed jobs (${bull.redisVersion.split(" ").slice(0, 3).join(" ")}), same machine`,
      columns: ["measure", "Journeys", "BullMQ", "Journeys/BullMQ"],
      rows,
      notes: [
        "Journeys waits go through the whole engine (log, executor, instance + profile + timer committed); BullMQ adds bare jobs",
        "Journeys lateness: due to the transition committed; BullMQ: due to the worker's processor starting the job (concurrency 200)",
        "memory: Journeys RSS growth per pending timer (timers beyond the 60 s horizon live on disk); Redis keeps every job in memory",
      ],
    };
    return {
      scenario: "peer-bullmq",
      mode: context.options.quick ? "quick" : "full",
      parameters: { ...sizes },
      tables: [table],
      figures: { journeys, bullmq: bull },
    } satisfies ScenarioResult;
  },
};
