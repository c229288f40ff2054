import type { Effect } from "../core/effect.js";
import type { Instance, JournalLine, Profile, Timer } from "../core/state.js";
import { emptyChanges, type NodeCounter, type ProjectChanges, type TimerKey } from "../store/types.js";

/**
 * Accumulates one project's effects over a batch, netting repeated changes to the same row
 * (an instance moved three times is written once; a timer set then cancelled is not written).
 */
export class BatchChanges {
  private readonly profiles = new Map<string, Profile>();
  private readonly instances = new Map<string, Instance>();
  /** Timers set (a Timer) or cancelled (a TimerKey), by user and id. */
  private readonly timers = new Map<string, { set: Timer } | { cancelled: TimerKey }>();
  private readonly counters = new Map<string, NodeCounter>();
  readonly changes: ProjectChanges;

  constructor(readonly project: string) {
    this.changes = emptyChanges(project);
  }

  /** Folds the effects of one advance() call in. */
  absorb(effects: readonly Effect[]): void {
    for (const effect of effects) {
      switch (effect.type) {
        case "instance.entered":
          this.putInstance(effect.instance);
          this.count(effect.instance, "entered");
          break;
        case "instance.moved":
          this.putInstance(effect.instance);
          this.count(effect.instance, "entered");
          break;
        case "instance.updated":
          this.putInstance(effect.instance);
          break;
        case "instance.exited":
          this.putInstance(effect.instance);
          this.count(effect.instance, "exited");
          break;
        case "instance.converted":
          this.putInstance(effect.instance);
          this.count(effect.instance, "converted");
          break;
        case "timer.set":
          this.timers.set(`${effect.timer.userId}\u001f${effect.timer.id}`, { set: effect.timer });
          break;
        case "timer.cancelled":
          this.timers.set(`${effect.userId}\u001f${effect.timerId}`, {
            cancelled: { userId: effect.userId, timerId: effect.timerId, due: effect.due },
          });
          break;
        case "delivery":
          this.changes.deliveries.push(effect.delivery);
          break;
        case "profile.updated":
          this.profiles.set(effect.profile.id, effect.profile);
          break;
        case "event.emitted":
          this.changes.emitted.push(effect.event);
          break;
        case "journal":
          this.changes.journal.push(effect.line);
          break;
        default: {
          const never: never = effect;
          throw new TypeError(`unknown effect ${JSON.stringify(never)}`);
        }
      }
    }
  }

  /** A journal line written by the runtime itself (e.g. an input that failed). */
  note(line: JournalLine): void {
    this.changes.journal.push(line);
  }

  private putInstance(instance: Instance): void {
    this.instances.set(`${instance.journeyId}\u001f${instance.userId}\u001f${instance.key}`, instance);
  }

  private count(instance: Instance, field: "entered" | "exited" | "converted"): void {
    const key = `${instance.journeyId}\u001f${instance.node}`;
    let counter = this.counters.get(key);
    if (!counter) {
      counter = { journeyId: instance.journeyId, node: instance.node, entered: 0, exited: 0, converted: 0 };
      this.counters.set(key, counter);
    }
    counter[field]++;
  }

  /** The netted changes, ready to commit. */
  finish(): ProjectChanges {
    const changes = this.changes;
    changes.profiles = [...this.profiles.values()];
    changes.instances = [...this.instances.values()];
    for (const timer of this.timers.values()) {
      if ("set" in timer) changes.timersSet.push(timer.set);
      else changes.timersCancelled.push(timer.cancelled);
    }
    changes.counters = [...this.counters.values()];
    return changes;
  }

  get empty(): boolean {
    const c = this.changes;
    return (
      this.profiles.size === 0 &&
      this.instances.size === 0 &&
      this.timers.size === 0 &&
      c.deliveries.length === 0 &&
      c.journal.length === 0 &&
      c.emitted.length === 0
    );
  }
}
