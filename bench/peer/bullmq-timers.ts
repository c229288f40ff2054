import { type Job, Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { epochMs, monotonicMs, sleep } from "../lib/clock.js";
import { LatencyHistogram, type LatencySummary } from "../lib/latency-histogram.js";

/**
 * The same timer measurements as the Journeys timer scenario, done with BullMQ delayed jobs:
 * what a Node team would build waits on. One job per wait, carrying what a Journeys timer row
 * carries (user, journey, key).
 */

export interface BullmqSizes {
  targets: number[];
  users: number;
  fireRate: number;
  fireS: number;
}

export interface BullmqScheduleFigures {
  pending: number;
  perS: number;
  /** Redis used_memory growth per pending job. */
  memoryPerTimer: number;
  usedMemoryBytes: number;
  rssBytes: number;
}

export interface BullmqFireFigures {
  count: number;
  rate: number;
  slackS: number;
  observedPerS: number;
  /** Due time to the worker's processor starting the job. */
  lateness: LatencySummary;
}

export interface BullmqFigures {
  redisVersion: string;
  schedule: BullmqScheduleFigures[];
  fire: BullmqFireFigures;
}

const LONG_DELAY_MS = 30 * 86_400_000;
/** addBulk calls in flight, like the Journeys side's concurrent ingest calls. */
const CONCURRENCY = 4;
const CHUNK = 1000;

export async function measureBullmq(
  port: number,
  sizes: BullmqSizes,
  log: (line: string) => void,
): Promise<Omit<BullmqFigures, "redisVersion">> {
  const connection = { host: "127.0.0.1", port, maxRetriesPerRequest: null };
  const admin = new Redis(connection);
  const waits = new Queue("bench-waits", { connection });
  try {
    await waits.waitUntilReady();
    const base = await memory(admin);
    const schedule: BullmqScheduleFigures[] = [];
    let scheduled = 0;
    for (const target of sizes.targets) {
      log(
        `  BullMQ: adding ${(target - scheduled).toLocaleString("en-US")} delayed jobs (to ${target.toLocaleString("en-US")})...`,
      );
      const start = monotonicMs();
      await addJobs(waits, scheduled, target, (i) => ({
        name: "wait",
        data: {
          userId: `user-${i % sizes.users}`,
          journeyId: "bench-wait-long",
          key: `k${Math.floor(i / sizes.users)}`,
        },
        opts: { delay: LONG_DELAY_MS, removeOnComplete: true },
      }));
      const elapsed = monotonicMs() - start;
      const used = await memory(admin);
      schedule.push({
        pending: await waits.getDelayedCount(),
        perS: (target - scheduled) / (elapsed / 1000),
        memoryPerTimer: (used.used - base.used) / target,
        usedMemoryBytes: used.used,
        rssBytes: used.rss,
      });
      scheduled = target;
    }
    const slowest = Math.min(...schedule.map((s) => s.perS));
    const fire = await fireAtRate(connection, sizes, slowest, log);
    return { schedule, fire };
  } finally {
    await waits.close();
    admin.disconnect();
  }
}

interface BulkJob {
  name: string;
  data: { [key: string]: string | number };
  opts: { delay: number; removeOnComplete: boolean };
}

async function addJobs(queue: Queue, from: number, to: number, job: (i: number) => BulkJob): Promise<void> {
  let next = from;
  const worker = async (): Promise<void> => {
    while (next < to) {
      const chunk: BulkJob[] = [];
      for (const end = Math.min(to, next + CHUNK); next < end; next++) chunk.push(job(next));
      await queue.addBulk(chunk);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function fireAtRate(
  connection: { host: string; port: number; maxRetriesPerRequest: null },
  sizes: BullmqSizes,
  scheduleRate: number,
  log: (line: string) => void,
): Promise<BullmqFireFigures> {
  const count = sizes.fireRate * sizes.fireS;
  const leadS = Math.max(3, (1.5 * count) / scheduleRate);
  log(
    `  BullMQ: ${count.toLocaleString("en-US")} jobs due at ${sizes.fireRate.toLocaleString("en-US")}/s, from ${leadS.toFixed(1)} s on`,
  );
  const queue = new Queue("bench-fire", { connection });
  const lateness = new LatencyHistogram();
  let processed = 0;
  let first = 0;
  let last = 0;
  const startAt = Date.now() + leadS * 1000;
  const worker = new Worker(
    "bench-fire",
    async (job: Job) => {
      const now = monotonicMs();
      lateness.recordMs(epochMs() - (job.data as { due: number }).due);
      if (processed === 0) first = now;
      last = now;
      processed++;
    },
    { connection, concurrency: 200, autorun: true },
  );
  try {
    await queue.waitUntilReady();
    await worker.waitUntilReady();
    await addJobs(queue, 0, count, (i) => {
      const due = startAt + (i * 1000) / sizes.fireRate;
      return {
        name: "fire",
        data: { due },
        opts: { delay: Math.max(0, Math.round(due - Date.now())), removeOnComplete: true },
      };
    });
    const slackS = (startAt - Date.now()) / 1000;
    const deadline = startAt + sizes.fireS * 1000 + 120_000;
    while (processed < count && Date.now() < deadline) await sleep(100);
    const span = (last - first) / 1000;
    return {
      count,
      rate: sizes.fireRate,
      slackS,
      observedPerS: span > 0 ? processed / span : 0,
      lateness: lateness.summary(),
    };
  } finally {
    await worker.close();
    await queue.close();
  }
}

async function memory(redis: Redis): Promise<{ used: number; rss: number }> {
  const info = await redis.info("memory");
  const field = (name: string): number => Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? 0);
  return { used: field("used_memory"), rss: field("used_memory_rss") };
}
