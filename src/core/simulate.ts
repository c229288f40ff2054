import { type AdvanceContext, advance } from "./advance.js";
import type { Catalog } from "./catalog.js";
import type { Effect } from "./effect.js";
import { type EventInput, type Input, timerInput } from "./input.js";
import type { MessageStatus } from "./model.js";
import type { DeliveryRequest, Instance, JournalLine, Millis, Profile, Timer } from "./state.js";

/** One line of a simulation script: an event, a profile change, or engagement with the last message. */
export type SimulationStep =
  | {
      kind: "event";
      at: Millis;
      userId: string;
      name: string;
      properties: EventInput["properties"];
      id?: string;
    }
  | {
      kind: "profile";
      at: Millis;
      userId: string;
      attributes?: Profile["attributes"];
      timezone?: string;
      channels?: Profile["channels"];
    }
  | { kind: "engagement"; at: Millis; userId: string; status: MessageStatus }
  | { kind: "enter"; at: Millis; userId: string; journeyId: string; properties: EventInput["properties"] };

export interface SimulationOptions {
  /** Keep firing timers up to this moment after the last step (default: 30 days after it). */
  until?: Millis;
  maxSteps?: number;
}

export interface SimulatedUser {
  userId: string;
  /** Per journey: the nodes visited, in order, with the moment of arrival. */
  paths: {
    journeyId: string;
    entryId: string;
    path: { node: string; at: Millis }[];
    exit?: string;
    converted?: Millis;
  }[];
  deliveries: DeliveryRequest[];
  journal: JournalLine[];
}

export interface SimulationResult {
  /** journeyId -> node -> users who arrived there (entered counts). */
  nodeCounts: { [journeyId: string]: { [node: string]: number } };
  users: SimulatedUser[];
  inputs: number;
  timersFired: number;
}

interface UserRecord {
  profile: Profile | undefined;
  instances: Instance[];
  timers: Map<string, Timer>;
  sim: SimulatedUser;
}

/**
 * Runs the core over a script with a virtual clock: steps in time order, and every timer that
 * comes due between them fired exactly at its due time. No I/O; deterministic.
 */
export function simulate(
  catalog: Catalog,
  script: readonly SimulationStep[],
  options: SimulationOptions = {},
): SimulationResult {
  const users = new Map<string, UserRecord>();
  const nodeCounts: SimulationResult["nodeCounts"] = {};
  const steps = [...script].sort((a, b) => a.at - b.at);
  const last = steps.length > 0 ? (steps[steps.length - 1] as SimulationStep).at : 0;
  const until = options.until ?? last + 30 * 86_400_000;
  let inputs = 0;
  let timersFired = 0;
  let sequence = 0;

  const user = (userId: string): UserRecord => {
    let record = users.get(userId);
    if (!record) {
      record = {
        profile: undefined,
        instances: [],
        timers: new Map(),
        sim: { userId, paths: [], deliveries: [], journal: [] },
      };
      users.set(userId, record);
    }
    return record;
  };

  const apply = (input: Input, now: Millis): void => {
    const pending: Input[] = [input];
    while (pending.length > 0) {
      const next = pending.shift() as Input;
      const record = user(next.userId);
      const context: AdvanceContext = {
        now,
        catalog,
        profile: record.profile,
        instances: record.instances,
        maxSteps: options.maxSteps,
      };
      const result = advance(context, next);
      inputs++;
      record.profile = result.profile;
      record.instances = result.instances;
      for (const effect of result.effects) observe(effect, record, now, pending);
    }
  };

  function observe(effect: Effect, rec: UserRecord, now: Millis, pending: Input[]): void {
    const { sim } = rec;
    switch (effect.type) {
      case "instance.entered":
        sim.paths.push({
          journeyId: effect.instance.journeyId,
          entryId: effect.instance.entryId,
          path: [{ node: effect.instance.node, at: now }],
        });
        count(effect.instance.journeyId, effect.instance.node);
        break;
      case "instance.moved":
        pathOf(sim, effect.instance)?.path.push({ node: effect.instance.node, at: now });
        count(effect.instance.journeyId, effect.instance.node);
        break;
      case "instance.exited": {
        const path = pathOf(sim, effect.instance);
        if (path) path.exit = effect.reason;
        break;
      }
      case "instance.converted": {
        const path = pathOf(sim, effect.instance);
        if (path) path.converted = now;
        break;
      }
      case "timer.set":
        rec.timers.set(effect.timer.id, effect.timer);
        break;
      case "timer.cancelled":
        rec.timers.delete(effect.timerId);
        break;
      case "delivery":
        sim.deliveries.push(effect.delivery);
        break;
      case "event.emitted":
        pending.push({ kind: "event", ...effect.event });
        break;
      case "journal":
        sim.journal.push(effect.line);
        break;
      case "instance.updated":
      case "profile.updated":
        break;
      default: {
        const never: never = effect;
        throw new TypeError(`unknown effect ${JSON.stringify(never)}`);
      }
    }
  }

  function count(journeyId: string, node: string): void {
    const counts = nodeCounts[journeyId] ?? {};
    counts[node] = (counts[node] ?? 0) + 1;
    nodeCounts[journeyId] = counts;
  }

  const fireTimersUntil = (moment: Millis): void => {
    for (;;) {
      let earliest: { timer: Timer } | undefined;
      for (const record of users.values()) {
        for (const timer of record.timers.values()) {
          if (timer.due <= moment && (!earliest || timer.due < earliest.timer.due)) earliest = { timer };
        }
      }
      if (!earliest) return;
      const { timer } = earliest;
      timersFired++;
      apply(timerInput(timer), timer.due);
    }
  };

  for (const step of steps) {
    fireTimersUntil(step.at);
    const id = `sim-${++sequence}`;
    switch (step.kind) {
      case "event":
        apply(
          {
            kind: "event",
            id: step.id ?? id,
            userId: step.userId,
            name: step.name,
            properties: step.properties,
            timestamp: step.at,
          },
          step.at,
        );
        break;
      case "profile":
        apply(
          {
            kind: "profile",
            id,
            userId: step.userId,
            attributes: step.attributes,
            timezone: step.timezone,
            channels: step.channels,
          },
          step.at,
        );
        break;
      case "enter":
        apply(
          { kind: "enter", id, userId: step.userId, journeyId: step.journeyId, properties: step.properties },
          step.at,
        );
        break;
      case "engagement": {
        const delivery = user(step.userId)
          .sim.deliveries.filter((d) => !d.skipReason)
          .at(-1);
        if (delivery) {
          apply(
            {
              kind: "engagement",
              id,
              userId: step.userId,
              journeyId: delivery.journeyId,
              key: delivery.key,
              entryId: delivery.entryId,
              nodeId: delivery.nodeId,
              status: step.status,
            },
            step.at,
          );
        }
        break;
      }
    }
  }
  fireTimersUntil(until);
  return { nodeCounts, users: [...users.values()].map((record) => record.sim), inputs, timersFired };
}

function pathOf(sim: SimulatedUser, instance: Instance): SimulatedUser["paths"][number] | undefined {
  for (let i = sim.paths.length - 1; i >= 0; i--) {
    const path = sim.paths[i];
    if (path && path.journeyId === instance.journeyId && path.entryId === instance.entryId) return path;
  }
  return undefined;
}
