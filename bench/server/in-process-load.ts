import type { Input } from "../../src/core/input.js";
import type { Engine, IncomingEvent } from "../../src/runtime/engine.js";
import { monotonicMs, sleep } from "../lib/clock.js";
import type { Workload } from "../workload.js";
import type { DriveOptions, TimedWaitsOptions, WaitsOptions } from "./protocol.js";

/**
 * Load generated inside the server process and fed to Engine.ingest directly (no HTTP), so the
 * executor's own cost can be compared with the cost through the API.
 */

/** Inputs the executor has committed, over all partitions (in memory, cheap). */
export function consumedTotal(engine: Engine): number {
  let total = 0;
  for (let p = 0; p < engine.partitions; p++) total += engine.executor.consumed(p);
  return total;
}

/** Inputs appended to the log, over all partitions. */
export async function appendedTotal(engine: Engine): Promise<number> {
  let total = 0;
  for (let p = 0; p < engine.partitions; p++) total += await engine.log.end(p);
  return total;
}

/** Ingests the workload's event mix with `concurrency` calls in flight until the count or time is reached. */
/** Lets the parent stop an in-process drive and read how much it ingested. */
export interface DriveControl {
  stopped: boolean;
  /** Events ingested by drives since the process started. */
  ingested: number;
}

export async function driveWorkload(
  engine: Engine,
  project: string,
  workload: Workload,
  options: DriveOptions,
  control: DriveControl,
): Promise<{ ingested: number; elapsedMs: number }> {
  const start = monotonicMs();
  const stream = workload.events(options.stream);
  const base = (await appendedTotal(engine)) - consumedTotal(engine);
  let ingested = 0;
  let claimed = 0;
  control.stopped = false;
  const worker = async (): Promise<void> => {
    while (!control.stopped && claimed < options.events && monotonicMs() - start < options.durationMs) {
      if (base + ingested - consumedTotal(engine) > options.maxLag) {
        await sleep(2);
        continue;
      }
      const size = Math.min(options.batch, options.events - claimed);
      claimed += size;
      const events: IncomingEvent[] = stream.batch(size);
      await engine.ingest(project, events);
      ingested += size;
      control.ingested += size;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { ingested, elapsedMs: monotonicMs() - start };
}

/**
 * Enters users into a waiting journey: wait i is user i % users with key `k<floor(i / users)>`.
 * Paced at `rate` events/s when set (in 1 ms slices), else as fast as the lag bound allows.
 */
export async function scheduleWaits(
  engine: Engine,
  project: string,
  userId: (index: number) => string,
  options: WaitsOptions,
): Promise<{ ingested: number; elapsedMs: number }> {
  const start = monotonicMs();
  const base = (await appendedTotal(engine)) - consumedTotal(engine);
  const end = options.first + options.count;
  let next = options.first;
  let ingested = 0;
  const make = (i: number): IncomingEvent => ({
    userId: userId(i % options.users),
    name: options.event,
    properties: { k: `k${Math.floor(i / options.users)}` },
  });
  const worker = async (): Promise<void> => {
    while (next < end) {
      if (base + ingested - consumedTotal(engine) > options.maxLag) {
        await sleep(2);
        continue;
      }
      let upTo = Math.min(end, next + options.batch);
      if (options.rate > 0) {
        const due = options.first + Math.floor(((monotonicMs() - start) * options.rate) / 1000);
        if (due <= next) {
          await sleep(1);
          continue;
        }
        upTo = Math.min(upTo, due);
      }
      const events: IncomingEvent[] = [];
      for (let i = next; i < upTo; i++) events.push(make(i));
      next = upTo;
      await engine.ingest(project, events);
      ingested += events.length;
    }
  };
  await Promise.all(Array.from({ length: options.rate > 0 ? 1 : options.concurrency }, worker));
  return { ingested, elapsedMs: monotonicMs() - start };
}

/** Profile inputs for users [from, from + count), submitted in batches through the log. */
export async function seedUsers(
  engine: Engine,
  project: string,
  workload: Workload,
  from: number,
  count: number,
  batch: number,
): Promise<void> {
  const maxLag = batch * 20;
  const base = (await appendedTotal(engine)) - consumedTotal(engine);
  let submitted = 0;
  for (let i = from; i < from + count; ) {
    if (base + submitted - consumedTotal(engine) > maxLag) {
      await sleep(2);
      continue;
    }
    const inputs: Input[] = [];
    for (const end = Math.min(from + count, i + batch); i < end; i++) {
      const profile = workload.profile(i);
      inputs.push({ kind: "profile", id: `seed-${i}`, ...profile });
    }
    await engine.submit(project, inputs);
    submitted += inputs.length;
  }
}

/** Profiles with a `fireAt` attribute and the entry events of a journey waiting until it. */
export async function scheduleTimedWaits(
  engine: Engine,
  project: string,
  options: TimedWaitsOptions,
): Promise<{ elapsedMs: number }> {
  const start = monotonicMs();
  const maxLag = options.batch * 40;
  const base = (await appendedTotal(engine)) - consumedTotal(engine);
  let submitted = 0;
  for (let i = 0; i < options.count; ) {
    if (base + submitted - consumedTotal(engine) > maxLag) {
      await sleep(2);
      continue;
    }
    const inputs: Input[] = [];
    for (const end = Math.min(options.count, i + options.batch); i < end; i++) {
      const userId = `fire-${i}`;
      const fireAt = Math.round(options.startAt + (i * 1000) / options.rate);
      inputs.push({
        kind: "profile",
        id: `fire-profile-${options.startAt}-${i}`,
        userId,
        attributes: { fireAt },
      });
      inputs.push({
        kind: "event",
        id: `fire-event-${options.startAt}-${i}`,
        userId,
        name: options.event,
        properties: {},
        timestamp: Date.now(),
      });
    }
    await engine.submit(project, inputs);
    submitted += inputs.length;
  }
  return { elapsedMs: monotonicMs() - start };
}
